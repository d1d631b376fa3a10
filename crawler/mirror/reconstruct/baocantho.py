"""Rebuild the mirror of Báo Cần Thơ (baocantho.com.vn), the ``-a<id>.html`` family.

Real (shared/corpus/raw/baocantho.com.vn/listing-thoi-su.html): article URLs
``/<slug>-a<id>.html`` at the root, the listing ``/thoi-su/`` with its markup
(``li.news-img-left`` > ``h3``, ``p.desc``) and pager ``/thoi-su?p=N`` (``&gt;`` = next),
the category feed ``/rss/cate/thoi-su/``. Article pages are reconstructed.
Run as ``python -m crawler.mirror.reconstruct.baocantho``; deterministic.
"""

from __future__ import annotations

from crawler.mirror.reconstruct._common import Site, chunks, esc, load, rss

HOST = "baocantho.com.vn"
BASE = f"https://{HOST}"
PER_PAGE = 7  # the capture shows 1 top item + 12 "Tin mới nhất"


def url(a: dict) -> str:
    return f"{BASE}/{a['slug']}-a{a['id']}.html"


def page(title: str, canonical: str, main: str, head: str = "") -> str:
    return (f'<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n<title>{esc(title)}</title>\n'
            f'<link rel="canonical" href="{canonical}" />\n{head}</head>\n<body>\n'
            f'<nav class="nav-main"><ul class="clearfix"><li><a href="{BASE}/" title="Home">Trang chủ</a></li>'
            f'<li><a href="{BASE}/thoi-su/" title="Thời sự">Thời sự</a></li>'
            f'<li><a href="{BASE}/chinh-tri/" title="Chính trị">Chính trị</a></li>'
            f'<li><a href="{BASE}/khmer/">ភាសាខ្មែរ</a></li></ul></nav>\n{main}'
            f'<div id="footer">Báo Cần Thơ - Cơ quan của Đảng bộ Đảng Cộng sản Việt Nam thành phố Cần Thơ</div>\n'
            f'</body></html>\n')


def article(a: dict) -> str:
    main = (f'<div class="breadcrumb"><a href="{BASE}/thoi-su/">Thời sự</a></div>\n'
            f'<div class="detail-news"><h1 class="titledetail">{esc(a["title"])}</h1>\n'
            f'<div class="datetime">{a["when"]:%d-%m-%Y - %H:%M}</div>\n'
            f'<div class="news-content"><p class="desc"><strong>{esc(a["sapo"])}</strong></p>\n'
            f'<p style="text-align:center"><img src="{a["image"].replace("thumbnail/510x286/", "").replace("thumbnail/810x478/", "")}"></p>\n'
            "</div></div>\n")
    return page(a["title"], url(a), main, f'<meta property="og:title" content="{esc(a["title"])}" />\n')


def listing_url(n: int) -> str:
    return f"{BASE}/thoi-su/" if n == 1 else f"{BASE}/thoi-su?p={n}"


def listing(n: int, last: int, items: list[dict]) -> str:
    rows = "".join(
        f'<li class="news-img-left news-img">\n<a class="b-title" href="{url(a)}">\n'
        f'<h3 class="marginbottom5 fs18">{esc(a["title"])}&nbsp;<span class="sprite icophoto"></span></h3>\n</a>\n'
        f'<a class="b-img" href="{url(a)}"><div class="ovf120"><img src="{a["image"]}" alt="{esc(a["title"])}" /></div></a>\n'
        f'<p class="b-content  txt fleft desc marginbottom5">\n{esc(a["sapo"])}</p>\n</li>\n' for a in items)
    prev = f'<li><a href="{listing_url(n - 1)}">&lt;</a></li>' if n > 1 else '<li><a href="javascript:void(0)">&lt;</a></li>'
    nums = "".join(f"<li><b>{i}</b></li>" if i == n else f'<li><a href="{listing_url(i)}">{i}</a></li>' for i in range(1, last + 1))
    nxt = f'<li><a href="{listing_url(n + 1)}">&gt;</a></li>' if n < last else ""
    main = (f'<div id="topcate"><div class="titlecate"><h1><a href="{BASE}/thoi-su/">THỜI SỰ</a></h1>'
            f'<a href="{BASE}/rss/cate/thoi-su/"><span class="sprite icorss"></span></a></div>\n'
            f'<div class="boxtinmoi"><ul class="list-news-img-style-1">\n{rows}</ul></div>\n'
            f'<div class="boxpage"><div class="fright" id="page">\n<ul>{prev}{nums}{nxt}</ul>\n</div></div></div>\n')
    return page("Thời sự - Báo Cần Thơ Online", listing_url(n), main)


def build() -> None:
    arts = load("baocantho")
    site = Site(HOST)
    site.clean()
    for a in arts:
        site.write(url(a).removeprefix(BASE + "/"), article(a))
    pages = chunks(arts, PER_PAGE)
    for n, items in enumerate(pages, start=1):
        rel = "thoi-su/index.html" if n == 1 else f"thoi-su/page-{n}.html"
        site.write(rel, listing(n, len(pages), items))
        if n > 1:
            site.route(f"/thoi-su?p={n}", rel)
    feed = arts[:10]  # a category feed holds only the newest items
    site.write("rss/cate/thoi-su/index.xml", rss("Báo Cần Thơ - Thời sự", f"{BASE}/thoi-su/",
                                                 [(a["title"], url(a), a["sapo"], a["when"]) for a in feed]))
    site.route("/rss/cate/thoi-su/", "rss/cate/thoi-su/index.xml", ctype="application/rss+xml; charset=utf-8")
    site.write("index.html", page("Báo Cần Thơ Online", f"{BASE}/",
                                  "".join(f'<a href="{url(a)}">{esc(a["title"])}</a>\n' for a in arts)))
    site.write("robots.txt", "User-agent: *\nDisallow: /admin/\nDisallow: /index/\n")
    site.finish({"feed": [url(a) for a in feed], "sitemap": [], "listing": [url(a) for a in arts]})


if __name__ == "__main__":
    build()
