"""Rebuild the mirror of Báo Khánh Hòa (baokhanhhoa.vn), the vSolutions CMS family.

Family: article URLs ``/<cat>[/<sub>]/<YYYYMM>/<slug>-<id>/`` (real URLs from the 2018
home capture and a 2021 page), the real 2018 home page (``captures/``) as ``/``, RSS
``/index.rss`` (advertised by that home page), category listings ``/<cat>/`` paginated
``/<cat>/trang-{page}.html`` (reconstructed) with a rel=next link.
Run as ``python -m crawler.mirror.reconstruct.baokhanhhoa``; deterministic.
"""

from __future__ import annotations

from crawler.mirror.reconstruct._common import HERE, Site, chunks, esc, load, rss

HOST = "baokhanhhoa.vn"
BASE = f"https://{HOST}"
PER_PAGE = 1  # one real article in most categories; van-hoa gets two pages
CATEGORIES = {"chinh-tri": "Chính trị", "kinh-te": "Kinh tế", "xa-hoi": "Xã hội", "van-hoa": "Văn hóa",
              "du-lich": "Du lịch", "doi-song": "Đời sống", "the-thao": "Thể thao", "phong-su": "Phóng sự"}
HOME_CAPTURE = HERE / "captures" / "baokhanhhoa-home-2018-03-partial.html"


def url(a: dict) -> str:
    return f"{BASE}/{a['path']}/"


def teaser_date(a: dict) -> str:
    return f"từ {a['when']:%H:%M -%d/%m/%Y}"  # the 2018 home page's form (real)


def page(title: str, canonical: str, main: str, head: str = "") -> str:
    menu = "".join(f'<li><a href="/{k}/">{esc(v)}</a></li>' for k, v in CATEGORIES.items())
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}</title>\n'
            f'<link rel="canonical" href="{canonical}">\n'
            f'<link rel="alternate" href="/index.rss" type="application/rss+xml" class="rss" title="RSS Feed">\n'
            f'{head}</head>\n<body>\n<div id="header"><a href="/" class="logo">Báo Khánh Hòa</a>'
            f'<ul class="ul_menu">{menu}</ul></div>\n{main}'
            f'<div id="footer">Báo Khánh Hòa - Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Khánh Hòa</div>\n'
            f'</body></html>\n')


def article(a: dict) -> str:
    parts = [f'<div class="sapo">{esc(a["sapo"])}</div>\n']
    caps = list(a["captions"])
    for i, p in enumerate(a["paragraphs"]):
        parts.append(f"<p>{esc(p)}</p>\n")
        if caps and i < 2:
            for _ in range(2 if i == 0 else 1):
                if caps:
                    parts.append(f'<table class="image center"><tr><td><img src="/dataimages/{a["when"]:%Y%m}/original/'
                                 f'images{a["path"][-7:]}_{len(caps)}.jpg" alt=""></td></tr>'
                                 f'<tr><td class="image_desc">{esc(caps.pop(0))}</td></tr></table>\n')
    cat = a["category"]
    main = (f'<div class="breadcrumb"><a href="/{cat}/">{esc(CATEGORIES[cat])}</a></div>\n'
            f'<div class="div_detail"><span class="span_date">{a["when"]:%H:%M, %d/%m/%Y}</span>\n'
            f'<h1 class="title">{esc(a["title"])}</h1>\n<div class="content">\n{"".join(parts)}</div></div>\n')
    return page(a["title"], url(a), main)


def listing_url(cat: str, n: int) -> str:
    return f"{BASE}/{cat}/" if n == 1 else f"{BASE}/{cat}/trang-{n}.html"


def listing(cat: str, n: int, last: int, items: list[dict]) -> str:
    rows = "".join(f'<div class="item"><a class="title" href="/{a["path"]}/">{esc(a["title"])}</a>'
                   f'<span class="span_date">{teaser_date(a)}</span><p class="p_text">{esc(a["sapo"])}</p></div>\n'
                   for a in items)
    pager = "".join(f"<b>{i}</b>" if i == n else f'<a href="{listing_url(cat, i)}">{i}</a>' for i in range(1, last + 1))
    if n < last:
        pager += f'<a rel="next" href="{listing_url(cat, n + 1)}">Trang sau</a>'
    head = f'<link rel="next" href="{listing_url(cat, n + 1)}">\n' if n < last else ""
    return page(CATEGORIES[cat], listing_url(cat, n),
                f'<div class="list"><h1>{esc(CATEGORIES[cat])}</h1>\n{rows}<div class="paging">{pager}</div></div>\n', head)


def build() -> None:
    arts = load("baokhanhhoa")
    site = Site(HOST)
    site.clean()
    for a in arts:
        site.write(f"{a['path']}/index.html", article(a))
    listed = []
    for cat in CATEGORIES:
        pages = chunks([a for a in arts if a["category"] == cat], PER_PAGE)
        for n, items in enumerate(pages, start=1):
            site.write(f"{cat}/index.html" if n == 1 else f"{cat}/trang-{n}.html", listing(cat, n, len(pages), items))
            listed += [url(a) for a in items]
    site.write("index.html", HOME_CAPTURE.read_bytes())  # the real 2018 home page, as captured
    site.write("index.rss", rss("Báo Khánh Hòa", f"{BASE}/", [(a["title"], url(a), a["sapo"], a["when"]) for a in arts]))
    site.write("robots.txt", "User-agent: *\nDisallow: /admin/\n")
    site.finish({"feed": [url(a) for a in arts], "sitemap": [], "listing": listed})


if __name__ == "__main__":
    build()
