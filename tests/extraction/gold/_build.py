"""Build the synthetic gold pages from the real Báo Lạng Sơn seed text.

    /work/venv/bin/python tests/extraction/gold/_build.py /work/shared/corpus/seed/baolangson-article.txt

The real Báo Lào Cai page is copied byte-exact, not built (see PROVENANCE.tsv).
Output is deterministic; re-running overwrites the .html files only (the expected
.json files are written by hand and reviewed).
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).parent
TONES = "\u0300\u0301\u0303\u0309\u0323"


def read_seed(path: Path) -> dict:
    lines = [line.strip().replace("\xa0", " ") for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line.strip()]
    return {
        "today": lines[0], "title": lines[1], "lead": lines[2], "caption": lines[3:6],
        "paragraphs": lines[6:-1], "byline": lines[-1].strip(),
    }


def langson_page(seed: dict, *, slug: str, caption_style: str, date_line: str,
                 extra_meta: str = "", lead: str | None = None) -> str:
    lead = lead or seed["lead"]
    sapo = lead.removeprefix("LSO-")
    image = "https://baolangson.vn/uploads/2018/09/11/x.jpg"
    if caption_style == "table":
        figure = (f'<table class="image" align="center"><tbody><tr><td><img src="{image}"></td></tr>'
                  f'<tr><td class="caption"><em>{"<br>".join(seed["caption"])}</em></td></tr></tbody></table>')
    else:
        figure = (f'<p style="text-align:center"><img src="{image}"></p>'
                  f'<p style="text-align:center"><em>{" ".join(seed["caption"])}</em></p>')
    paras = seed["paragraphs"]
    body = f"<p>{paras[0]}</p>{figure}" + "".join(f"<p>{p}</p>" for p in paras[1:])
    url = f"https://baolangson.vn/{slug}.html"
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{seed['title']} - Báo Lạng Sơn điện tử</title>
<meta name="description" content="{sapo}"><meta property="og:title" content="{seed['title']}">
<meta property="og:url" content="{url}"><meta property="og:type" content="article">
<meta property="og:site_name" content="Báo Lạng Sơn">{extra_meta}<link rel="canonical" href="{url}"></head>
<body><div class="header"><div class="today">{seed['today']}</div><form class="search"><input name="q"><button>Tìm kiếm</button></form>
<ul class="menu"><li><a href="https://baolangson.vn/chinh-tri">Chính trị</a></li><li><a href="https://baolangson.vn/kinh-te">Kinh tế</a></li><li><a href="https://baolangson.vn/xa-hoi">Xã hội</a></li></ul></div>
<div class="breadcrumb"><a href="https://baolangson.vn/">Trang chủ</a> / <a href="https://baolangson.vn/chinh-tri">Chính trị</a></div>
<div class="main"><div class="detail"><h1 class="title-detail">{seed['title']}</h1><div class="date-detail">{date_line}</div>
<div id="content-detail"><h2>{lead}</h2>
{body}
<p style="text-align:right"><strong>{seed['byline']}</strong></p></div>
<div class="share">Chia sẻ <a href="https://facebook.com/sharer">Facebook</a> <a href="https://baolangson.vn/ban-in-{slug}.html">Bản in</a></div>
<div class="related"><h3>Tin liên quan</h3><ul>
<li><a href="https://baolangson.vn/hoi-nghi-tinh-uy-lan-thu-20-1020304.html">Hội nghị Tỉnh ủy lần thứ 20</a> <span class="time">(21/03/2019)</span></li>
<li><a href="https://baolangson.vn/ky-hop-hdnd-tinh-1020305.html">Kỳ họp HĐND tỉnh khóa XVI</a> <span class="time">(20/03/2019)</span></li></ul></div></div>
<div class="sidebar"><h3>Tin đọc nhiều</h3><ul><li><a href="https://baolangson.vn/le-hoi-1020306.html">Lễ hội Lồng tồng xứ Lạng</a></li></ul></div></div>
<div class="footer">© Báo Lạng Sơn. Giấy phép số 131/GP-TTĐT. Số 16 đường Quang Trung, thành phố Lạng Sơn.</div></body></html>
"""


def generic_page(seed: dict, *, title: str, head: str = "", date_html: str = "",
                 sapo: str = "", body_extra: str = "", today: str = "Thứ sáu, 22/03/2019",
                 charset: str | None = "utf-8", lang: str = ' lang="vi"') -> str:
    """A plain provincial-CMS article page (not Báo Lạng Sơn's layout)."""
    paras = "".join(f"<p>{p}</p>" for p in seed["paragraphs"][:4])
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"""<!DOCTYPE html>
<html{lang}><head>{meta}<title>{title} | Báo Tỉnh</title>{head}</head>
<body><header class="site-header"><div class="today">{today}</div><nav><a href="/">Trang chủ</a> <a href="/thoi-su">Thời sự</a></nav></header>
<main><article class="post"><h1 class="post-title">{title}</h1>{date_html}
<div class="sapo">{sapo}</div>
<div class="post-content">{paras}{body_extra}</div></article>
<aside class="box-related"><h3>Tin khác</h3><ul><li><a href="/tin-khac-1.html">Tin khác một</a> <span class="date">21/03/2019 09:00</span></li></ul></aside></main>
<footer>© Báo Tỉnh điện tử</footer></body></html>
"""


def to_nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def to_cp1258(text: str) -> bytes:
    """windows-1258 has precomposed base letters (ê, ơ, ư, ă, đ) but tone marks only
    as combining characters: decompose, recompose all but the tones, encode."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        tones = "".join(c for c in decomposed if c in TONES)
        out += (base + tones).encode("cp1258")
    return bytes(out)


def main(seed_path: str) -> None:
    seed = read_seed(Path(seed_path))
    ls = HERE / "baolangson"
    (ls / "doan-kiem-tra-721-table-caption.html").write_text(langson_page(
        seed, slug="doan-kiem-tra-cua-ban-bi-thu-lam-viec-voi-ban-thuong-vu-tinh-uy-1018721",
        caption_style="table", date_line="17:30 | 11/09/2018"), encoding="utf-8")
    (ls / "doan-kiem-tra-721-centred-caption.html").write_text(langson_page(
        seed, slug="doan-kiem-tra-cua-ban-bi-thu-lam-viec-voi-ban-thuong-vu-tinh-uy-1018722",
        caption_style="centred", date_line="Thứ ba, 11/9/2018 - 17:30",
        extra_meta='<meta property="article:published_time" content="2018-09-11T17:30:00+07:00">',
        lead=seed["lead"].replace("LSO-", "(LSO) - ", 1)), encoding="utf-8")

    g = HERE / "generic"
    lead = "Sáng nay, Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ trọng tâm của năm tới."
    pages = {
        "no-date": generic_page(seed, title="Hội nghị tổng kết không ghi ngày", sapo=lead, today=""),
        "two-dates": generic_page(seed, title="Bài có ngày bài viết và ngày tin liên quan", sapo=lead,
                                  date_html='<div class="post-date">Cập nhật: 04/12/2020 08:15</div>'),
        "today-bar-only": generic_page(seed, title="Bài chỉ có ngày hôm nay ở đầu trang", sapo=lead),
        "date-thang": generic_page(seed, title="Bài ghi ngày bằng chữ", sapo=lead,
                                   date_html='<p class="meta-time">Ngày 22 tháng 3 năm 2019</p>'),
        "iso-0700": generic_page(seed, title="Bài có ngày ISO", sapo=lead,
                                 date_html='<time datetime="2021-05-06T10:20:00+0700">06/05/2021</time>'),
        "weekday": generic_page(seed, title="Bài có thứ trong tuần", sapo=lead,
                                date_html='<span class="time-detail">Thứ Hai, 4/12/2020 - 08:15</span>'),
        "theo-ttxvn": generic_page(
            seed, title="Tin tổng hợp từ Thông tấn xã", sapo="(TTXVN) - " + lead,
            date_html='<div class="date">10:05 | 05/01/2021</div>',
            body_extra="<p><em>Theo TTXVN</em></p>"),
        "caption-credit": generic_page(
            seed, title="Bài có chú thích ảnh và bút danh", sapo=lead,
            date_html='<div class="date">Đăng lúc 07:00 (GMT+7) - 02/02/2022</div>',
            body_extra=('<p style="text-align:center"><img src="/uploads/anh-1.jpg"></p>'
                        '<p style="text-align:center"><em>Quang cảnh hội nghị. Ảnh: Minh Hà</em></p>'
                        '<figure><img src="/uploads/anh-2.jpg"><figcaption>Đại biểu dự hội nghị</figcaption></figure>'
                        "<p>Hội nghị kết thúc trong ngày.</p><p>Bài và ảnh: Minh Hà</p>")),
        "nfd": to_nfd(generic_page(seed, title="Đoàn kiểm tra làm việc tại Lạng Sơn", sapo=lead,
                                   date_html='<div class="date">17:30 | 11/09/2018</div>',
                                   body_extra="<p><strong>PHÙNG KHIÊM</strong></p>")),
    }
    for name, markup in pages.items():
        (g / f"{name}.html").write_text(markup, encoding="utf-8")
    for name, charset in (("cp1258-declared", "windows-1258"), ("cp1258-undeclared", None)):
        markup = generic_page(seed, title="Trang mã hóa windows-1258 của người dân", sapo=lead,
                              date_html='<div class="date">17:30 | 11/09/2018</div>', charset=charset)
        (g / f"{name}.html").write_bytes(to_cp1258(markup))


if __name__ == "__main__":
    main(sys.argv[1])
