"""Rebuild the mirror of Báo Cao Bằng (baocaobang.vn) from ``baocaobang.json``.

Family: flat mixed-case article URLs ``/<Slug>-<id>.html`` (outlets.md S27), body in
``div#content-detail`` (S1), RSS ``/rss/home.rss`` (S3), category listings ``/Thoi-su``
(S1) paginated with ``?page=N`` and a rel=next "Trang sau" link. Run as
``python -m crawler.mirror.reconstruct.baocaobang``; output is byte-identical every run.
"""

from __future__ import annotations

from crawler.mirror.reconstruct._common import (
    WEEKDAYS,
    Site,
    chunks,
    esc,
    load,
    rss,
    slug,
)

HOST = "baocaobang.vn"
BASE = f"https://{HOST}"
PER_PAGE = 2
CATEGORIES = {"Thoi-su": "Thời sự", "Van-hoa": "Văn hóa"}
MENU_EXTRA = [("Chinh-tri", "Chính trị"), ("kinh-te", "Kinh tế"), ("Xa-hoi", "Xã hội")]


def url(a: dict) -> str:
    return f"{BASE}/{slug(a['title'], keep_case=True)}-{a['id']}.html"


def date_line(a: dict) -> str:
    # Family format used here: "Thứ Hai, 04/12/2020 - 08:15" (reconstructed, see README).
    w = a["when"]
    return f"{WEEKDAYS[w.weekday()]}, {w:%d/%m/%Y - %H:%M}"


def page(title: str, canonical: str, main: str, extra_head: str = "") -> str:
    menu = "".join(f'<li><a href="{BASE}/{k}">{esc(v)}</a></li>'
                   for k, v in [*CATEGORIES.items(), *MENU_EXTRA])
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}</title>\n'
            f'<link rel="canonical" href="{canonical}">\n'
            f'<link rel="alternate" type="application/rss+xml" title="Báo Cao Bằng" href="{BASE}/rss/home.rss">\n'
            f'{extra_head}</head>\n<body>\n<div class="header"><a class="logo" href="{BASE}/">Báo Cao Bằng điện tử</a>'
            f'<ul class="menu"><li><a href="{BASE}/">Trang chủ</a></li>{menu}</ul></div>\n'
            f'{main}<div class="footer">Báo Cao Bằng - Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Cao Bằng. '
            f'Ảnh: <a href="https://media.baocaobang.vn/">media.baocaobang.vn</a></div>\n</body></html>\n')


def article(a: dict, arts: list[dict]) -> str:
    body = [f"<h2>{esc(a['sapo'])}</h2>\n"]
    caps = list(a["captions"])
    for i, p in enumerate(a["paragraphs"]):
        if caps and i == 0:
            body.append(f'<table class="image"><tr><td><img src="https://media.baocaobang.vn/upload/image/'
                        f'{a["when"]:%Y%m}/medium/{a["id"]}_1.jpg" alt=""></td></tr>'
                        f'<tr><td class="caption">{esc(caps.pop(0))}</td></tr></table>\n')
        body.append(f"<p>{esc(p)}</p>\n")
        if caps and i == len(a["paragraphs"]) - 2:
            body.append(f'<p style="text-align:center"><em>{esc(caps.pop(0))}</em></p>\n')
    for c in caps:
        body.append(f'<p style="text-align:center"><em>{esc(c)}</em></p>\n')
    if a["author"]:
        body.append(f'<p style="text-align:right"><strong>{esc(a["author"])}</strong></p>\n')
    others = [o for o in arts if o is not a and o["category"] == a["category"]][:3]
    rel = "".join(f'<li><a href="{url(o)}">{esc(o["title"])}</a></li>' for o in others)
    main = (f'<div class="breadcrumb"><a href="{BASE}/{a["category"]}">{esc(CATEGORIES[a["category"]])}</a></div>\n'
            f'<div class="detail"><h1 class="title-detail">{esc(a["title"])}</h1>\n'
            f'<div class="date-detail">{date_line(a)}</div>\n'
            f'<div id="content-detail">\n{"".join(body)}</div>\n'
            f'<div class="related"><h3>Tin cùng chuyên mục</h3><ul>{rel}</ul></div></div>\n')
    return page(f"{a['title']} - Báo Cao Bằng điện tử", url(a), main,
                f'<meta property="og:title" content="{esc(a["title"])}">\n')


def listing_url(cat: str, n: int) -> str:
    return f"{BASE}/{cat}" if n == 1 else f"{BASE}/{cat}?page={n}"


def listing(cat: str, n: int, last: int, items: list[dict]) -> str:
    rows = "".join(f'<div class="item"><a class="title" href="{url(a)}">{esc(a["title"])}</a>'
                   f'<span class="time">{date_line(a)}</span><p class="sapo">{esc(a["sapo"])}</p></div>\n'
                   for a in items)
    links = [f"<span>{i}</span>" if i == n else f'<a href="{listing_url(cat, i)}">{i}</a>' for i in range(1, last + 1)]
    if n < last:
        links.append(f'<a rel="next" href="{listing_url(cat, n + 1)}">Trang sau</a>')
    head = f'<link rel="next" href="{listing_url(cat, n + 1)}">\n' if n < last else ""
    main = f'<div class="list"><h1>{esc(CATEGORIES[cat])}</h1>\n{rows}<div class="pager">{" ".join(links)}</div></div>\n'
    return page(f"{CATEGORIES[cat]} - Báo Cao Bằng điện tử", listing_url(cat, n), main, head)


def build() -> None:
    arts = load("baocaobang")
    site = Site(HOST)
    site.clean()
    for a in arts:
        site.write(url(a).removeprefix(BASE + "/"), article(a, arts))
    listed = []
    for cat in CATEGORIES:
        pages = chunks([a for a in arts if a["category"] == cat], PER_PAGE)
        for n, items in enumerate(pages, start=1):
            rel = f"{cat}/index.html" if n == 1 else f"{cat}/page-{n}.html"
            site.write(rel, listing(cat, n, len(pages), items))
            if n > 1:
                site.route(f"/{cat}?page={n}", rel)
            listed += [url(a) for a in items]
    home = "".join(f'<div class="item"><a href="{url(a)}">{esc(a["title"])}</a></div>\n' for a in arts)
    site.write("index.html", page("Báo Cao Bằng điện tử", f"{BASE}/", f'<div class="list home">\n{home}</div>\n'))
    feed = arts[:20]
    site.write("rss/home.rss", rss("Báo Cao Bằng", f"{BASE}/", [(a["title"], url(a), a["sapo"], a["when"]) for a in feed]))
    site.write("robots.txt", "User-agent: *\nDisallow: /admin/\nDisallow: /tim-kiem\n")
    site.finish({"feed": [url(a) for a in feed], "sitemap": [], "listing": listed})


if __name__ == "__main__":
    build()
