"""Rebuild the mirror of Báo Lào Cai (baolaocai.vn), the ``-post<id>.html`` family,
as the mirrored outlet that publishes SITEMAPS.

Real (shared/corpus/raw/baolaocai.vn/...): the article page markup (``h1.article__title``,
``time[datetime]``, ``div.article__sapo``, ``div.article__body`` of ``<div>`` paragraphs,
byline ``div.t1 > span.t2``), URLs ``/<slug>-post<id>.html``, the section ``/review-lao-cai/``.
Reconstructed: the listing pages (paginated by a "Xem thêm"/rel=next link only, no URL
template), ``/rss/home.rss`` (S3), robots.txt with a ``Sitemap:`` line, the sitemap
index, monthly sitemaps (one gzipped) with ``lastmod``, and a Google News sitemap.
Run as ``python -m crawler.mirror.reconstruct.baolaocai``; deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from crawler.mirror.reconstruct._common import SITES, Site, chunks, esc, load, rss

HOST = "baolaocai.vn"
BASE = f"https://{HOST}"
PER_PAGE = 8
SECTION = ("review-lao-cai", "Review Lào Cai")
GZIPPED_MONTH = "2025-06"  # the biggest month is served gzipped, as large sites do
SM_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS_NS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def url(a: dict) -> str:
    return f"{BASE}/{a['slug']}-post{a['id']}.html"


def page(title: str, canonical: str, main: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}</title>\n'
            f'<link rel="canonical" href="{canonical}" />\n{head}</head>\n<body>\n'
            f'<header class="site-header"><a class="logo" href="{BASE}/">Báo Lào Cai</a><ul class="menu">'
            f'<li><a href="{BASE}/{SECTION[0]}/" title="{SECTION[1]}">{SECTION[1]}</a></li>'
            f'<li><a href="{BASE}/du-lich/" title="Du lịch">Du lịch</a></li>'
            f'<li><a href="{BASE}/video/" title="Video">Video</a></li></ul></header>\n'
            f'<div class="site-body">{main}</div>\n<footer>Báo Lào Cai - Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam tỉnh Lào Cai</footer>\n'
            '</body></html>\n')


def iso(a: dict) -> str:
    return a["when"].strftime("%Y-%m-%dT%H:%M:%S%z")  # the page's own form, +0700


def article(a: dict, arts: list[dict]) -> str:
    body = "".join(f"<div> {esc(p)}\n</div>\n" for p in a["paragraphs"])
    if a["author"]:
        body += f'<div class="t1"> <span class="t2">{esc(a["author"])}</span>\n</div>'
    rel = "".join(f'<article class="story"><a class="cms-link" href="{url(o)}" title="{esc(o["title"])}">'
                  f'{esc(o["title"])}</a><time class="time" datetime="{iso(o)}">{o["when"]:%d/%m/%Y %H:%M}</time>'
                  f'<div class="story__summary">{esc(o["sapo"])}</div></article>\n'
                  for o in [o for o in arts if o is not a][:4])
    main = (f'<div class="breadcrumbs"><h2 class="main"><a href="{BASE}/{SECTION[0]}/" title="{SECTION[1]}" class="active">'
            f'{SECTION[1]}</a></h2></div>\n<div class="article">\n'
            f'<h1 class="article__title cms-title "> {esc(a["title"])} </h1>\n'
            f'<div class="article__meta"><time class="time" datetime="{iso(a)}"><span>{a["when"]:%d/%m/%Y %H:%M}</span></time>'
            f'<meta class="cms-date" itemprop="datePublished" content="{iso(a)}"></div>\n'
            f'<div class="article__sapo cms-desc"> {esc(a["sapo"])} </div>\n'
            f'<div class="article__body zce-content-body cms-body" itemprop="articleBody">\n{body}</div>\n'
            f'</div>\n<section class="related"><h3 class="box-heading">Tin cùng chuyên mục</h3>\n{rel}</section>\n')
    return page(a["title"], url(a), main)


def listing_url(n: int) -> str:
    return f"{BASE}/{SECTION[0]}/" if n == 1 else f"{BASE}/{SECTION[0]}/?page={n}"


def listing(n: int, last: int, items: list[dict]) -> str:
    rows = "".join(f'<article class="story"><h2 class="story__heading"><a class="cms-link" href="{url(a)}" '
                   f'title="{esc(a["title"])}">{esc(a["title"])}</a></h2>'
                   f'<time class="time" datetime="{iso(a)}">{a["when"]:%d/%m/%Y %H:%M}</time>'
                   f'<div class="story__summary">{esc(a["sapo"])}</div></article>\n' for a in items)
    more = f'<div class="pagination"><a rel="next" href="{listing_url(n + 1)}">Trang sau</a></div>\n' if n < last else ""
    return page(f"{SECTION[1]} - Báo Lào Cai", listing_url(n),
                f'<div class="category"><h1>{SECTION[1]}</h1>\n{rows}{more}</div>\n')


def urlset(entries: list[str], news: bool = False) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {SM_NS}{" " + NEWS_NS if news else ""}>\n'
            + "".join(entries) + "</urlset>\n")


def build(root: Path = SITES / HOST, keep: Callable[[dict], bool] = lambda a: True) -> None:
    """Write the site; ``keep`` selects articles (tests build the site as it was before
    some articles were published, then as it is)."""
    arts = [a for a in load("baolaocai") if keep(a)]
    site = Site(HOST, root)
    site.clean()
    for a in arts:
        site.write(url(a).removeprefix(BASE + "/"), article(a, arts))
    pages = chunks(arts, PER_PAGE)
    for n, items in enumerate(pages, start=1):
        rel = f"{SECTION[0]}/index.html" if n == 1 else f"{SECTION[0]}/page-{n}.html"
        site.write(rel, listing(n, len(pages), items))
        if n > 1:
            site.route(f"/{SECTION[0]}/?page={n}", rel)
    feed = arts[:10]
    site.write("rss/home.rss", rss("Báo Lào Cai", f"{BASE}/", [(a["title"], url(a), a["sapo"], a["when"]) for a in feed]))

    # Sitemaps: robots.txt -> index -> monthly urlsets (one gzipped) + Google News sitemap.
    months = sorted({a["when"].strftime("%Y-%m") for a in arts}, reverse=True)
    children = []
    for month in months:
        members = [a for a in arts if a["when"].strftime("%Y-%m") == month]
        xml = urlset([f"<url><loc>{url(a)}</loc><lastmod>{a['when'].isoformat()}</lastmod></url>\n" for a in members])
        name = f"sitemaps/sitemap-{month}.xml" + (".gz" if month == GZIPPED_MONTH else "")
        site.write_gz(name, xml) if name.endswith(".gz") else site.write(name, xml)
        children.append((f"{BASE}/{name}", members[0]["when"].isoformat()))
    newest = arts[0]["when"]
    recent = [a for a in arts if newest - a["when"] <= dt.timedelta(days=2)]  # Google News: last 2 days
    site.write("sitemaps/news.xml", urlset([
        f"<url><loc>{url(a)}</loc><news:news><news:publication><news:name>Báo Lào Cai</news:name>"
        f"<news:language>vi</news:language></news:publication>"
        f"<news:publication_date>{a['when'].isoformat()}</news:publication_date>"
        f"<news:title>{esc(a['title'])}</news:title></news:news></url>\n" for a in recent], news=True))
    children.append((f"{BASE}/sitemaps/news.xml", newest.isoformat()))
    site.write("sitemaps/sitemap.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {SM_NS}>\n'
               + "".join(f"<sitemap><loc>{loc}</loc><lastmod>{mod}</lastmod></sitemap>\n" for loc, mod in children)
               + "</sitemapindex>\n")
    site.write("robots.txt", "User-agent: *\nDisallow: /admin/\nDisallow: /tim-kiem\n\n"
               f"Sitemap: {BASE}/sitemaps/sitemap.xml\n")
    site.write("index.html", page("Báo Lào Cai điện tử", f"{BASE}/",
                                  "".join(f'<a href="{url(a)}">{esc(a["title"])}</a>\n' for a in arts[:5])))
    site.finish({"feed": [url(a) for a in feed], "sitemap": [url(a) for a in arts], "listing": [url(a) for a in arts]})


if __name__ == "__main__":
    build()
