"""Rebuild the local mirror of Báo Lạng Sơn (baolangson.vn) from ``baolangson.json``.

Run as ``python -m crawler.mirror.reconstruct.baolangson``. The output folder
``crawler/mirror/sites/baolangson.vn/`` is rewritten completely (except its hand-written
README.md) and byte-identical on every run: nothing depends on the clock, the locale or
dict/set ordering. Stdlib only; templates are plain f-strings.

The article text in the JSON is real; the page layout, ids not seen on the site, the pager,
the feed and robots.txt are reconstructed from research notes (see the site README).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "baolangson.json"
SITE = HERE.parent / "sites" / "baolangson.vn"
BASE = "https://baolangson.vn"
TZ = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST
PER_PAGE = 5
KEEP = {"README.md"}  # hand-written, never regenerated

CATEGORIES = {
    "chinh-tri": "Chính trị",
    "kinh-te": "Kinh tế",
    "xa-hoi": "Xã hội",
    "van-hoa": "Văn hóa",
}
# Menu links outside the mirrored categories: real sites link them, the crawler must skip them.
EXTRA_MENU = [("multimedia", "Multimedia"), ("video", "Video"), ("phap-luat", "Pháp luật")]
WEEKDAYS = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"]
RFC822_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
RFC822_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# Leading dateline as the site prints it: "LSO-", "LSO- ", "(LSO) - ", a bare "-"/"–", "LST:".
DATELINE = re.compile(r"^(?:\(?LS[OT]\)?\s*[-–:]\s*|[-–]\s*)")


@dataclass(frozen=True)
class Article:
    """One article of the JSON, with its parsed local publication time."""

    raw: dict
    when: dt.datetime

    @property
    def url(self) -> str:
        return f"{BASE}/{self.raw['slug']}-{self.raw['id']}.html"

    @property
    def filename(self) -> str:
        return f"{self.raw['slug']}-{self.raw['id']}.html"

    @property
    def title(self) -> str:
        return self.raw["title"]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def load() -> list[Article]:
    """Articles newest first; ties broken by id so the order never depends on file order."""
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    arts = [Article(r, dt.datetime.strptime(r["published"], "%H:%M %d/%m/%Y").replace(tzinfo=TZ))
            for r in rows]
    return sorted(arts, key=lambda a: (a.when, a.raw["id"]), reverse=True)


def listing_time(when: dt.datetime) -> str:
    # The outlet's teaser format, e.g. "10:32 | 04/12/2020" (outlets.md §3.5).
    return when.strftime("%H:%M | %d/%m/%Y")


def today_bar(day: dt.date) -> str:
    # Built from our own table: strftime("%A") would follow the machine's locale.
    return f"{WEEKDAYS[day.weekday()]}, {day.strftime('%d/%m/%Y')}"


def rfc822(when: dt.datetime) -> str:
    return (f"{RFC822_DAYS[when.weekday()]}, {when.day:02d} {RFC822_MONTHS[when.month - 1]} "
            f"{when.year} {when.strftime('%H:%M:%S')} +0700")


def head(title: str, description: str, canonical: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>{esc(title)}</title>
<meta name="description" content="{esc(description)}">
{extra}<link rel="canonical" href="{canonical}">
<link rel="alternate" type="application/rss+xml" title="Báo Lạng Sơn" href="{BASE}/rss/home.rss">
</head>
<body>
"""


def header(today: dt.date) -> str:
    items = [f'<li><a href="{BASE}/">Trang chủ</a></li>']
    items += [f'<li><a href="{BASE}/{slug}">{esc(name)}</a></li>' for slug, name in CATEGORIES.items()]
    items += [f'<li><a href="{BASE}/{slug}">{esc(name)}</a></li>' for slug, name in EXTRA_MENU]
    return (f'<div class="header"><div class="today">{today_bar(today)}</div> '
            f'<form class="search" action="{BASE}/tim-kiem" method="get">'
            f'<input type="text" name="q" placeholder="Tìm kiếm"><button type="submit">Tìm</button></form>\n'
            f'<ul class="menu">{"".join(items)}</ul></div>\n')


def sidebar(arts: list[Article]) -> str:
    # "Most read" is not knowable offline: the five newest stand in for it.
    links = "".join(f'<li><a href="{a.url}">{esc(a.title)}</a></li>' for a in arts[:5])
    return f'<div class="sidebar"><h3>Tin đọc nhiều</h3><ul>{links}</ul></div></div>\n'


def footer() -> str:
    # Facts from outlets.md §3.1 (V? for the licence); the text links mimic the paid links (S28).
    return ('<div class="footer">© Báo Lạng Sơn. Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Lạng Sơn. '
            'Tổng Biên tập: Nguyễn Đông Bắc. Giấy phép số 131/GP-TTĐT, ngày 28/7/2021. '
            'Địa chỉ: số 9 đường Hoàng Văn Thụ, phường Lương Văn Tri, tỉnh Lạng Sơn. '
            'Liên kết: <a href="https://example.com/dat-ve-may-bay">Đặt vé máy bay</a> '
            '<a href="https://example.com/nha-dat-lang-son">Nhà đất Lạng Sơn</a> '
            '<a href="https://example.com/du-lich-mau-son">Du lịch Mẫu Sơn</a></div>\n'
            '</body></html>\n')


def image_block(art: Article, index: int, image: dict) -> str:
    day = art.when.strftime("%Y/%m/%d")
    src = f"{BASE}/uploads/{day}/{image['file']}"
    caption = "<br>".join(esc(line) for line in (image.get("caption") or "").split("\n"))
    # Both layouts occur on the site's CMS; alternate so the extractor meets each.
    if index % 2 == 0:
        cap = f'<tr><td class="caption"><em>{caption}</em></td></tr>' if caption else ""
        return (f'<table class="image" align="center"><tbody><tr><td><img src="{src}" alt=""></td></tr>'
                f'{cap}</tbody></table>\n')
    cap = f'<p style="text-align:center"><em>{caption}</em></p>\n' if caption else ""
    return f'<p style="text-align:center"><img src="{src}"></p>{cap}' + ("\n" if not cap else "")


def body(art: Article, index: int) -> str:
    r = art.raw
    parts = [f"<h2>{esc(r['sapo'])}</h2>\n"]
    paras = [f"<p>{esc(p)}</p>\n" for p in r["paragraphs"]]
    if r["images"]:
        at = r["image_after"] or 0
        paras.insert(at, "".join(image_block(art, index, im) for im in r["images"]))
    parts += paras
    if r["author"]:
        parts.append(f'<p style="text-align:right"><strong>{esc(r["author"].upper())}</strong></p>\n')
    if r["attribution"]:
        parts.append(f"<p><em>{esc(r['attribution'])}</em></p>\n")
    return "".join(parts)


def related(art: Article, arts: list[Article]) -> list[Article]:
    """Up to 4 other articles: same category first (newest first), then others."""
    same = [a for a in arts if a is not art and a.raw["category"] == art.raw["category"]]
    other = [a for a in arts if a is not art and a.raw["category"] != art.raw["category"]]
    return (same + other)[:4]


def article_page(art: Article, index: int, arts: list[Article], today: dt.date) -> str:
    r = art.raw
    extra = (f'<meta property="og:title" content="{esc(r["title"])}">\n'
             f'<meta property="og:url" content="{art.url}">\n'
             '<meta property="og:type" content="article">\n'
             '<meta property="og:site_name" content="Báo Lạng Sơn">\n')
    if index % 3 == 0:  # a third carry a machine-readable date; the rest only div.date-detail
        extra += f'<meta property="article:published_time" content="{art.when.isoformat()}">\n'
    cat = r["category"]
    rel = "".join(f'<li><a href="{a.url}">{esc(a.title)}</a> <span class="time">({a.when:%d/%m/%Y})</span></li>'
                  for a in related(art, arts))
    return (head(f"{r['title']} - Báo Lạng Sơn điện tử", DATELINE.sub("", r["sapo"]), art.url, extra)
            + header(today)
            + f'<div class="breadcrumb"><a href="{BASE}/">Trang chủ</a> / '
              f'<a href="{BASE}/{cat}">{esc(CATEGORIES[cat])}</a></div>\n'
            + '<div class="main"><div class="detail">\n'
            + f'<h1 class="title-detail">{esc(r["title"])}</h1>\n'
            + f'<div class="date-detail">{listing_time(art.when)}</div>\n'
            + f'<div id="content-detail">\n{body(art, index)}</div>\n'
            + f'<div class="share">Chia sẻ: <a href="https://www.facebook.com/sharer/sharer.php?u={art.url}">Facebook</a> '
              f'<a href="{BASE}/ban-in-{art.filename}">Bản in</a></div>\n'
            + f'<div class="related"><h3>Tin liên quan</h3><ul>{rel}</ul></div>\n'
            + "</div>\n" + sidebar(arts) + footer())


def item(art: Article) -> str:
    return (f'<div class="item"><a class="title" href="{art.url}">{esc(art.title)}</a>'
            f'<div class="time">{listing_time(art.when)}</div>'
            f'<div class="sapo">{esc(art.raw["sapo"])}</div></div>\n')


def page_url(cat: str, n: int) -> str:
    return f"{BASE}/{cat}" if n == 1 else f"{BASE}/{cat}?page={n}"


def pager(cat: str, n: int, last: int) -> str:
    links = [f"<span>{i}</span>" if i == n else f'<a href="{page_url(cat, i)}">{i}</a>'
             for i in range(1, last + 1)]
    if n < last:
        links.append(f'<a rel="next" href="{page_url(cat, n + 1)}">Trang sau</a>')
    return f'<div class="pager">{" ".join(links)}</div>\n'


def listing_page(cat: str, n: int, last: int, chunk: list[Article], arts: list[Article],
                 today: dt.date) -> str:
    name = CATEGORIES[cat]
    return (head(f"{name} - Báo Lạng Sơn điện tử", f"Tin tức {name} - Báo Lạng Sơn", page_url(cat, n))
            + header(today)
            + f'<div class="breadcrumb"><a href="{BASE}/">Trang chủ</a> / <a href="{BASE}/{cat}">{esc(name)}</a></div>\n'
            + f'<div class="main"><div class="list"><h1 class="cat-title">{esc(name)}</h1>\n'
            + "".join(item(a) for a in chunk) + pager(cat, n, last) + "</div>\n"
            + sidebar(arts) + footer())


def home_page(arts: list[Article], today: dt.date) -> str:
    title = "Báo Lạng Sơn: Tin tức mới nhất về chính trị, kinh tế, xã hội, văn hóa"
    return (head(title, title, f"{BASE}/") + header(today)
            + '<div class="main"><div class="list home">\n'
            + "".join(item(a) for a in arts[:10]) + "</div>\n" + sidebar(arts) + footer())


def rss(arts: list[Article]) -> str:
    items = "".join(
        f"<item><title>{esc(a.title)}</title><link>{a.url}</link><guid>{a.url}</guid>"
        f"<description>{esc(a.raw['sapo'])}</description><pubDate>{rfc822(a.when)}</pubDate></item>\n"
        for a in arts[:20])
    # lastBuildDate = newest item, not "now", so the file is stable between runs.
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
            f"<title>Báo Lạng Sơn</title><link>{BASE}/</link>"
            "<description>Tin tức mới nhất - Báo Lạng Sơn</description><language>vi</language>"
            f"<lastBuildDate>{rfc822(arts[0].when)}</lastBuildDate>\n{items}</channel></rss>\n")


ROBOTS = """User-agent: *
Disallow: /ban-in-
Disallow: /tim-kiem
Disallow: /admin/
"""


def clean(site: Path) -> None:
    """Remove everything generated before, so deleted articles do not linger."""
    site.mkdir(parents=True, exist_ok=True)
    for p in sorted(site.iterdir()):
        if p.name in KEEP:
            continue
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def write(site: Path, rel: str, text: str) -> None:
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))  # bytes: no platform newline translation


def build(site: Path = SITE, keep: Callable[[Article], bool] = lambda art: True) -> None:
    """Write the site; ``keep`` selects articles (tests build the site as it was before
    some articles were published, then as it is)."""
    arts = [art for art in load() if keep(art)]
    today = arts[0].when.date() + dt.timedelta(days=1)  # capture day: the day after the newest item
    clean(site)
    by_id = sorted(arts, key=lambda a: a.raw["id"])  # stable index for the meta/image variants
    for index, art in enumerate(by_id):
        write(site, art.filename, article_page(art, index, arts, today))
    routes = ["# path_and_query\tfile\tstatus\tcontent_type"]
    for cat in CATEGORIES:
        members = [a for a in arts if a.raw["category"] == cat]
        chunks = [members[i:i + PER_PAGE] for i in range(0, len(members), PER_PAGE)]
        for n, chunk in enumerate(chunks, start=1):
            rel = f"{cat}/index.html" if n == 1 else f"{cat}/page-{n}.html"
            write(site, rel, listing_page(cat, n, len(chunks), chunk, arts, today))
            if n > 1:
                routes.append(f"/{cat}?page={n}\t{rel}\t200\ttext/html; charset=utf-8")
    write(site, "index.html", home_page(arts, today))
    write(site, "rss/home.rss", rss(arts))
    write(site, "robots.txt", ROBOTS)
    write(site, "routes.tsv", "\n".join(routes) + "\n")
    write(site, "expected.json", expected(arts))


def expected(arts: list[Article]) -> str:
    """The article set each route must find, from the data (tests compare crawls to it)."""
    routes = {"feed": sorted(a.url for a in arts[:20]), "sitemap": [],
              "listing": sorted(a.url for a in arts), "all": sorted(a.url for a in arts)}
    return json.dumps(routes, ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    build()
