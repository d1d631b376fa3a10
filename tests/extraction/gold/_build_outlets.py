"""Gold pages for provincial CMS families we never configured (generic rules only).

    /work/venv/bin/python tests/extraction/gold/_build_outlets.py

Each page wraps **real** text (copied unchanged from the source named in ``SOURCES``
and in PROVENANCE.tsv) in a faithful reconstruction of its outlet's layout. Layout,
ids and times marked "reconstructed" are ours; no Vietnamese prose is invented. The
expected JSON is derived here from the same data, never from the extractor's output.
None of these outlets has registry rules: the test runs them generically.

``updated_at`` is null and ``tags`` empty (the pages state neither); ``captions`` has the
one figure's caption, or is empty when the page prints no image. ``published_at_source``,
``image_url``, ``language`` and ``canonical_url`` are what the built page states
(``_truth.page_fields``): the vSolutions layout declares no language, so its language is
that of its text, Vietnamese; it has no rel=canonical, so its URL is the fetched one.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from _truth import page_fields

HERE = Path(__file__).parent
# Each layout's article block: its first <img> is the lead image.
CONTENT = {"tayninh": "//div[@class='content']", "vsolutions": "//div[@class='news-content']"}

SOURCES = [
    {
        "outlet": "baotayninh", "name": "khat-vong-ve-hai-thanh-pho-tuong-lai",
        "url": "https://baotayninh.vn/khat-vong-ve-hai-thanh-pho-tuong-lai-a169010.html",
        "source": "https://baotayninh.vn/khat-vong-ve-hai-thanh-pho-tuong-lai-a169010.html (stored copy; "
                  "text cut inside the 5th paragraph, cut paragraph dropped)",
        "kicker": "Vùng đô thị trung tâm tỉnh Tây Ninh:",
        "title": "Khát vọng về hai thành phố tương lai",
        "date_line": "Thứ sáu: 15:00 ngày 09/02/2024", "published": "2024-02-09T15:00:00+07:00",
        "dateline": "(BTN) - ",
        "lead": "TP. Tây Ninh đang trình cấp thẩm quyền xem xét Đề án nâng loại đô thị theo tiêu chuẩn đô thị loại II và phấn đấu đến năm 2030 đạt 75% tiêu chuẩn đô thị loại I; và TX. Hoà Thành cũng đang trình cấp thẩm quyền xem xét Đề án nâng loại đô thị theo tiêu chuẩn đô thị loại III.",
        "caption": "Một góc thành phố Tây Ninh",
        "paragraphs": [
            "Theo Quy hoạch tỉnh Tây Ninh thời kỳ 2021-2030 tầm nhìn đến năm 2050, được Thủ tướng Chính phủ phê duyệt theo Quyết định số 1736/QĐ-TTg ngày 29.12.2023, trong Phương án phát triển các trọng điểm đô thị xác định: Trọng điểm số 1 là cụm đô thị thành phố (TP) Tây Ninh - thị xã (TX) Hoà Thành.",
            "Phương án này được đặt ra hoàn toàn phù hợp với khát vọng, định hướng, mục tiêu phát triển của Đảng bộ, Chính quyền và Nhân dân hai địa phương này theo đuổi, kiên trì phấn đấu, nỗ lực thực hiện trong nhiều năm qua.",
        ],
        "section": "Chính trị", "layout": "tayninh",
    },
    {
        "outlet": "baokhanhhoa", "name": "dieu-dong-bo-nhiem-ong-nguyen-duy-bac",
        "url": "https://baokhanhhoa.vn/chinh-tri/201803/ban-bi-thu-trung-uong-dang-dieu-dong-bo-nhiem-ong-nguyen-duy-bac-giu-chuc-pho-giam-doc-hoc-vien-chinh-tri-quoc-gia-ho-chi-minh-8072892/",
        "source": "shared/corpus/raw/baokhanhhoa.vn/home-2018-03-partial.html (real home page 2018-03-21: title and lead of the item)",
        "title": "Điều động, bổ nhiệm ông Nguyễn Duy Bắc giữ chức Phó Giám đốc Học viện Chính trị Quốc gia Hồ Chí Minh",
        "date_line": "Thứ Ba, 20/03/2018 - 16:30", "published": "2018-03-20T16:30:00+07:00",
        "dateline": "",
        "lead": "Ngày 20-3, Ban Tổ chức Trung ương, Học viện Chính trị Quốc gia Hồ Chí Minh và Ban Thường vụ Tỉnh ủy Khánh Hòa tổ chức lễ công bố quyết định của Ban Bí thư Trung ương Đảng về việc điều động, bổ nhiệm cán bộ đối với ông Nguyễn Duy Bắc - Tỉnh ủy viên, Phó Chủ tịch UBND tỉnh Khánh Hòa.",
        "caption": None, "paragraphs": [], "section": "Chính trị", "layout": "vsolutions",
        "note": "day from the lead ('Ngày 20-3') and the URL's 201803; time reconstructed",
    },
    {
        "outlet": "baokhanhhoa", "name": "tp-nha-trang-to-chuc-lai-viec-dat-du",
        "url": "https://baokhanhhoa.vn/du-lich/201803/tp-nha-trang-to-chuc-lai-viec-dat-du-nghi-mat-tren-bai-bien-8072987/",
        "source": "shared/corpus/raw/baokhanhhoa.vn/home-2018-03-partial.html (real home page 2018-03-21: title and lead of the item)",
        "title": "TP. Nha Trang: Tổ chức lại việc đặt dù nghỉ mát trên bãi biển",
        "date_line": "Thứ Tư, 21/03/2018 - 06:42", "published": "2018-03-21T06:42:00+07:00",
        "dateline": "",
        "lead": "Việc đặt dù, ghế nghỉ mát trên bãi biển Nha Trang đang không theo một trật tự nào. Vì thế, TP. Nha Trang đã xây dựng phương án mới về việc bố trí khu vực đặt dù, ghế trên bãi biển.",
        "caption": None, "paragraphs": [], "section": "Du lịch", "layout": "vsolutions",
        "note": "date reconstructed: the capture day's newest item time (06:42 21/03/2018)",
    },
    {
        "outlet": "baoquangninh", "name": "doi-moi-tu-duy-hanh-dong-xay-dung-chinh-quyen",
        "url": "http://baoquangninh.com.vn/chinh-tri/201803/thuc-hien-nghi-quyet-09-nqtu-doi-moi-tu-duy-hanh-dong-xay-dung-chinh-quyen-trach-nhiem-phuc-vu-2378142/",
        "source": "shared/corpus/raw/baoquangninh.com.vn/home-2018-03.html (real home page ~2018-03-17: title and lead of the item)",
        "kicker": "Thực hiện Nghị quyết 09-NQ/TU:",
        "title": "Đổi mới tư duy, hành động xây dựng chính quyền trách nhiệm, phục vụ",
        "date_line": "Thứ Bảy, 17/03/2018 - 08:00", "published": "2018-03-17T08:00:00+07:00",
        "dateline": "",
        "lead": "Tiếp nối thành quả đã đạt được từ những năm trước, Đảng bộ tỉnh đã triển khai thực hiện Nghị quyết 09-NQ/TU của BCH Đảng bộ tỉnh về phương hướng, nhiệm vụ năm 2018 với quyết tâm chính trị cao, tinh thần vào cuộc quyết liệt ngay từ những ngày đầu, tháng đầu của năm.",
        "caption": None, "paragraphs": [], "section": "Chính trị", "layout": "vsolutions",
        "note": "date reconstructed (the capture week); kicker from the URL slug",
    },
]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def tayninh_page(s: dict) -> str:
    """Báo Tây Ninh: kicker + h1, weekday date line, h4.sapo with (BTN), figure/figcaption."""
    body = "".join(f"<p>{esc(p)}</p>\n" for p in s["paragraphs"])
    figure = (f'<figure class="image"><img src="https://baotayninh.vn/image/fckeditor/upload/2024/20240209/images/1.jpg">'
              f"<figcaption>{esc(s['caption'])}</figcaption></figure>\n")
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{esc(s['title'])}</title>
<meta name="description" content="{esc(s['lead'])}"><meta property="og:title" content="{esc(s['title'])}">
<meta property="og:site_name" content="Báo Tây Ninh Online"><link rel="canonical" href="{s['url']}"></head>
<body><div class="top-bar"><a href="/bao-in">Đọc báo in</a> <a href="/app">Tải ứng dụng</a></div>
<ul class="menu"><li><a href="/chinh-tri/">Chính trị</a></li><li><a href="/kinh-te/">Kinh tế</a></li></ul>
<div class="breadcrumbs"><a href="/">Trang chủ</a> <a href="/chinh-tri/">{esc(s['section'])}</a></div>
<div class="detail"><div class="kicker">{esc(s['kicker'])}</div><h1 class="title">{esc(s['title'])}</h1>
<div class="date-time">{esc(s['date_line'])}</div><div class="follow">Theo dõi Báo Tây Ninh trên google news</div>
<h4 class="sapo">{esc(s['dateline'] + s['lead'])}</h4>
<div class="content">{figure}{body}</div></div>
<div class="related-news"><h3>Tin cùng chuyên mục</h3><ul><li><a href="/a169001.html">Tây Ninh: Hội nghị triển khai nhiệm vụ năm 2024</a> <span class="date">08/02/2024</span></li></ul></div>
<div class="footer">© Báo Tây Ninh Online</div></body></html>
"""


def vsolutions_page(s: dict) -> str:
    """vSolutions CMS (Khánh Hòa, Quảng Ninh): /<cat>/<YYYYMM>/<slug>-<id>/, 'Thứ Ba, 20/03/2018 - 16:30'."""
    kicker = f'<div class="news-kicker">{esc(s["kicker"])}</div>' if s.get("kicker") else ""
    body = "".join(f"<p>{esc(p)}</p>\n" for p in s["paragraphs"])
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{esc(s['title'])}</title>
<meta name="description" content="{esc(s['lead'])}"></head>
<body><div id="header"><div class="date-today">Thứ Tư, 21/03/2018</div><ul class="nav"><li><a href="/chinh-tri/">Chính trị</a></li></ul></div>
<div id="main"><div class="breadcrumb"><a href="/">Trang chủ</a> » <a href="/chinh-tri/">{esc(s['section'])}</a></div>
<div class="news-detail">{kicker}<h1 class="news-title">{esc(s['title'])}</h1>
<div class="news-date">{esc(s['date_line'])}</div>
<div class="news-sapo"><strong>{esc(s['lead'])}</strong></div>
<div class="news-content">{body}</div>
<div class="news-tool"><a href="#">In bài viết</a> <a href="#">Gửi bài viết</a></div></div>
<div class="other-news"><h3>Các tin khác</h3><ul><li><a href="/chinh-tri/201803/x-8072800/">Hội nghị Tỉnh ủy</a> (19/03/2018)</li></ul></div></div>
<div id="footer">Giấy phép số 09/GP-BTTTT</div></body></html>
"""


def expected(s: dict) -> dict:
    text = "\n\n".join(s["paragraphs"]) or s["lead"]
    return {"title": s["title"], "summary": s["lead"], "text": text, "authors": [], "attribution": None,
            "published_at": s["published"], "updated_at": None, "section": s["section"], "tags": [],
            "captions": [s["caption"]] if s.get("caption") else []}


def main() -> None:
    for s in SOURCES:
        folder = HERE / s["outlet"]
        folder.mkdir(exist_ok=True)
        page = tayninh_page(s) if s["layout"] == "tayninh" else vsolutions_page(s)
        (folder / f"{s['name']}.html").write_bytes(page.encode("utf-8"))
        spec = {"meta": {"url": s["url"], "outlet": None,
                         "source": f"real text from {s['source']}; layout reconstructed by _build_outlets.py"
                                   + (f"; {s['note']}" if s.get("note") else ""),
                         "captured": "built 2026"},
                "expected": {**expected(s), **page_fields(page, s["url"], CONTENT[s["layout"]], expected(s))}}
        (folder / f"{s['name']}.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n",
                                                  encoding="utf-8")
    print(f"{len(SOURCES)} pages written")


if __name__ == "__main__":
    main()
