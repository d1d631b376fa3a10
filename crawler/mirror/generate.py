"""A scale mirror: N synthetic outlets of M articles in all, deterministic by seed.

For benchmarks at a size where fixed costs stop dominating (issue 16), never for the
gold set: the texts are real (paragraphs of ``tests/dedup/texts.json`` and of the
mirror reconstructions' JSON), the articles are not. Outlet ``i`` takes the article
template of one of the five CMS families in turn (``crawler.mirror.reconstruct``),
rendered for the host ``genNN.<family>.example`` and padded with site chrome (menus,
teaser boxes, inline scripts) to 20–300 KB, as real provincial pages are. Each outlet
has robots.txt naming a sitemap index of monthly urlsets (every other one gzipped),
an RSS feed of its newest 50 articles and a listing paginated ``?page=N``.

About 8 % of the articles are near-duplicates of one on another outlet (another
dateline and byline, a paragraph dropped), so stories are assigned across outlets;
``epoch`` > 0 revises about 5 % of the articles (a paragraph added), so a recrawl
after regenerating with a higher epoch finds new versions.

Written under ``DIR``: ``sites/`` (one folder per host, for ``MirrorServer`` and
``provnews mirror serve --sites DIR/sites``) and ``sources.yaml`` (the generated
outlets' registry entries, for ``--sources``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import random
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from crawler.core.registry import BUILTIN_REGISTRY
from crawler.mirror.reconstruct import (
    baocantho,
    baocaobang,
    baokhanhhoa,
    baolangson,
    baolaocai,
)
from crawler.mirror.reconstruct._common import HERE as RECONSTRUCT_DIR
from crawler.mirror.reconstruct._common import TZ, esc, rss, slug

FAMILIES = ("baolangson", "baocaobang", "baolaocai", "baokhanhhoa", "baocantho")
TEXTS = Path(__file__).resolve().parents[2] / "tests" / "dedup" / "texts.json"
FEED_SIZE = 50
PER_PAGE = 20
LISTING = "/tin-moi"
MIN_KB, MEDIAN_KB, MAX_KB = 20, 60, 300
NEAR_DUPLICATE_SHARE = 0.08
REVISED_SHARE = 0.05
FIRST_ID = 3_000_000
START = dt.datetime(2024, 1, 1, 6, 0, tzinfo=TZ)
SM_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def paragraph_pool() -> list[str]:
    """Real article paragraphs (≥ 12 words), in a stable order."""
    seen: dict[str, None] = {}
    for text in json.loads(TEXTS.read_text(encoding="utf-8"))["texts"].values():
        seen.update(dict.fromkeys(text["paragraphs"]))
    for family in FAMILIES:
        for row in json.loads((RECONSTRUCT_DIR / f"{family}.json").read_text(encoding="utf-8")):
            seen.update(dict.fromkeys(row["paragraphs"]))
    return [p for p in seen if len(p.split()) >= 12]


def caption_pool() -> list[str]:
    captions = []
    for family in ("baocaobang", "baokhanhhoa"):
        for row in json.loads((RECONSTRUCT_DIR / f"{family}.json").read_text(encoding="utf-8")):
            captions += row["captions"]
    for row in json.loads((RECONSTRUCT_DIR / "baolangson.json").read_text(encoding="utf-8")):
        captions += [image["caption"].replace("\n", " ") for image in row["images"] if image.get("caption")]
    return sorted(set(captions))


@dataclass(frozen=True)
class GenOutlet:
    index: int      # 1 … N
    family: str

    @property
    def key(self) -> str:
        return f"gen{self.index:02d}"

    @property
    def host(self) -> str:
        return f"{self.key}.{self.family}.example"

    @property
    def base(self) -> str:
        return f"https://{self.host}"


@dataclass
class GenArticle:
    number: int
    outlet: GenOutlet
    title: str
    sapo: str
    paragraphs: list[str]
    captions: list[str]
    author: str
    when: dt.datetime
    size: int       # bytes the page is padded to

    @property
    def id(self) -> int:
        return FIRST_ID + self.number

    @property
    def slug(self) -> str:
        return slug(self.title)

    @property
    def path(self) -> str:
        """The URL path in the family's form (each family's article_url_pattern)."""
        family, s = self.outlet.family, self.slug
        if family == "baolaocai":
            return f"/{s}-post{self.id}.html"
        if family == "baokhanhhoa":
            return f"/xa-hoi/{self.when:%Y%m}/{s}-{self.id:07x}/"
        if family == "baocantho":
            return f"/{s}-a{self.id}.html"
        if family == "baocaobang":
            return f"/{slug(self.title, keep_case=True)}-{self.id}.html"
        return f"/{s}-{self.id}.html"

    @property
    def url(self) -> str:
        return self.outlet.base + self.path

    @property
    def file(self) -> str:
        """The page's file under its host folder (a trailing-slash URL is a folder's index)."""
        return self.path.strip("/") + ("/index.html" if self.path.endswith("/") else "")


def _size(rng: random.Random) -> int:
    """Page size in bytes: log-normal around MEDIAN_KB, clipped to [MIN_KB, MAX_KB]."""
    kb = math.exp(rng.gauss(math.log(MEDIAN_KB), 0.6))
    return int(min(MAX_KB, max(MIN_KB, kb)) * 1024)


AUTHORS = ("Minh Anh", "Thu Hà", "Đức Thắng", "Hoàng Nam", "Lan Phương", "Quốc Việt", "Hải Yến", "Văn Lực")


def articles(outlets: list[GenOutlet], total: int, seed: int, epoch: int = 0) -> list[GenArticle]:
    """``total`` articles, round-robin over the outlets; deterministic in the arguments."""
    pool, captions = paragraph_pool(), caption_pool()
    out: list[GenArticle] = []
    for number in range(total):
        rng = random.Random(f"{seed}-{number}")
        outlet = outlets[number % len(outlets)]
        when = START + dt.timedelta(minutes=13 * number)
        marker = f"Đây là bài số {number + 1} của {outlet.key}, mã tin {FIRST_ID + number}."
        if out and number >= len(outlets) and rng.random() < NEAR_DUPLICATE_SHARE:
            source = out[number - 1 - rng.randrange(len(outlets) - 1)] if len(outlets) > 1 else out[-1]
            body = [p for i, p in enumerate(source.paragraphs[:-1]) if i != 1]
            article = GenArticle(number, outlet, source.title, f"({outlet.key.upper()}) - {source.sapo}",
                                 [*body, marker], source.captions, rng.choice(AUTHORS), when, _size(rng))
        else:
            paras = rng.sample(pool, rng.randint(4, 12))
            head = " ".join(paras[0].split()[:10]).rstrip(",.;:")
            article = GenArticle(number, outlet, f"{head} ({number + 1})", paras[0], [*paras[1:], marker],
                                 rng.sample(captions, rng.randint(0, 2)), rng.choice(AUTHORS), when, _size(rng))
        out.append(article)
    for article in out if epoch else ():  # after the copies were made: a revision is not copied
        rng = random.Random(f"{seed}-{article.number}-revised")
        if rng.random() < REVISED_SHARE:
            article.paragraphs = [*article.paragraphs, f"Cập nhật lần {epoch}: {rng.choice(pool)}"]
    return out


# --- article pages: the family's template, re-hosted --------------------------------


def _row(a: GenArticle) -> dict:
    """The article as the reconstruction modules' JSON rows describe one."""
    return {"id": a.id, "slug": a.slug, "title": a.title, "sapo": a.sapo, "paragraphs": a.paragraphs,
            "captions": list(a.captions), "author": a.author, "when": a.when, "category": "xa-hoi",
            "path": a.path.strip("/"), "attribution": None, "image_after": 1,
            "images": [{"file": f"{a.id}-{i}.jpg", "caption": c} for i, c in enumerate(a.captions)],
            "image": f"https://{a.outlet.host}/image/news/{a.when:%Y/%Y%m%d}/{a.id}.webp"}


def _langson(a: GenArticle, row: dict) -> str:
    art = baolangson.Article(row, a.when)
    return baolangson.article_page(art, a.number, [art], a.when.date())


def _caobang(a: GenArticle, row: dict) -> str:
    return baocaobang.article({**row, "category": "Thoi-su"}, [row])


def _cantho(a: GenArticle, row: dict) -> str:
    # The reconstruction renders photo stories (no paragraphs): the text goes after the photo.
    text = "".join(f"<p>{esc(p)}</p>\n" for p in a.paragraphs)
    text += f'<p style="text-align:right"><strong>{esc(a.author.upper())}</strong></p>\n'
    page = baocantho.article(row)
    return page.replace("</div></div>\n", text + "</div></div>\n", 1)


RENDER: dict[str, tuple[str, Callable[[GenArticle, dict], str]]] = {
    "baolangson": (baolangson.BASE, _langson),
    "baocaobang": (baocaobang.BASE, _caobang),
    "baolaocai": (baolaocai.BASE, lambda a, row: baolaocai.article(row, [row])),
    "baokhanhhoa": (baokhanhhoa.BASE, lambda a, row: baokhanhhoa.article(row)),
    "baocantho": (baocantho.BASE, _cantho),
}


def _chrome(a: GenArticle, rng: random.Random, pool: list[str], need: int) -> str:
    """Site furniture up to ``need`` bytes: teaser boxes (markup the extractor must
    walk and discard) and inline scripts (bytes it must parse), half and half."""
    parts, size, box = [], 0, 0
    while size < need:
        box += 1
        teasers = "".join(
            f'<li class="teaser"><a href="{a.outlet.base}/chuyen-muc/{box}/tin-{rng.randrange(10**6)}">'
            f'<img src="{a.outlet.base}/thumb/{box}-{i}.jpg" alt="">{esc(" ".join(rng.choice(pool).split()[:14]))}'
            f'</a><span class="time">{a.when:%d/%m/%Y}</span></li>' for i in range(12))
        script = json.dumps({"slot": box, "ads": [rng.randrange(10**9) for _ in range(60)],
                             "cfg": "x" * 1200})
        chunk = (f'<div class="box-more"><h3>Tin khác {box}</h3><ul>{teasers}</ul></div>\n'
                 f"<script>window.__cms_{box} = {script};</script>\n")
        parts.append(chunk)
        size += len(chunk.encode("utf-8"))
    return "".join(parts)


def article_page(a: GenArticle, pool: list[str]) -> bytes:
    real_base, render = RENDER[a.outlet.family]
    page = render(a, _row(a)).replace(real_base, a.outlet.base)
    need = a.size - len(page.encode("utf-8"))
    if need > 0:
        page = page.replace("</body>", _chrome(a, random.Random(a.id), pool, need) + "</body>", 1)
    return page.encode("utf-8")


# --- discovery documents -------------------------------------------------------------


def _listing(o: GenOutlet, n: int, last: int, items: list[GenArticle]) -> str:
    rows = "".join(f'<div class="item"><a class="title" href="{a.url}">{esc(a.title)}</a>'
                   f'<div class="time">{a.when:%H:%M | %d/%m/%Y}</div><div class="sapo">{esc(a.sapo)}</div></div>\n'
                   for a in items)
    nxt = f'<a rel="next" href="{o.base}{LISTING}?page={n + 1}">Trang sau</a>' if n < last else ""
    return (f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>Tin mới - {o.key}</title>'
            f'</head><body><div class="list"><h1>Tin mới</h1>\n{rows}<div class="pager">{nxt}</div></div>'
            "</body></html>\n")


def _urlset(items: list[GenArticle]) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {SM_NS}>\n'
            + "".join(f"<url><loc>{a.url}</loc><lastmod>{a.when.isoformat()}</lastmod></url>\n" for a in items)
            + "</urlset>\n")


def _sitemaps(o: GenOutlet, own: list[GenArticle]) -> Iterator[tuple[str, bytes]]:
    """Monthly urlsets (every other month gzipped, the newest first) and their index, as (path, bytes)."""
    months = sorted({a.when.strftime("%Y-%m") for a in own}, reverse=True)
    children = []
    for i, month in enumerate(months):
        xml = _urlset([a for a in own if a.when.strftime("%Y-%m") == month]).encode("utf-8")
        zipped = i % 2 == 0
        name = f"sitemaps/sitemap-{month}.xml" + (".gz" if zipped else "")
        yield name, gzip.compress(xml, mtime=0) if zipped else xml
        children.append(f"<sitemap><loc>{o.base}/{name}</loc></sitemap>\n")
    index = f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex {SM_NS}>\n{"".join(children)}</sitemapindex>\n'
    yield "sitemaps/sitemap.xml", index.encode("utf-8")


def write_outlet(root: Path, o: GenOutlet, own: list[GenArticle], pool: list[str]) -> None:
    site = root / o.host
    for a in own:
        target = site / a.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(article_page(a, pool))
    (site / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /tim-kiem\nSitemap: {o.base}/sitemaps/sitemap.xml\n", encoding="utf-8")
    (site / "rss").mkdir(exist_ok=True)
    (site / "rss" / "home.rss").write_text(
        rss(o.key, f"{o.base}/", [(a.title, a.url, a.sapo, a.when) for a in own[:FEED_SIZE]]), encoding="utf-8")
    for name, data in _sitemaps(o, own):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    pages = [own[i:i + PER_PAGE] for i in range(0, len(own), PER_PAGE)] or [[]]
    routes = ["# path_and_query\tfile\tstatus\tcontent_type"]
    (site / LISTING.strip("/")).mkdir(exist_ok=True)
    for n, items in enumerate(pages, start=1):
        name = "index.html" if n == 1 else f"page-{n}.html"
        (site / LISTING.strip("/") / name).write_text(_listing(o, n, len(pages), items), encoding="utf-8")
        if n > 1:
            routes.append(f"{LISTING}?page={n}\t{LISTING.strip('/')}/{name}\t200\ttext/html; charset=utf-8")
    (site / "index.html").write_text(f'<a href="{o.base}{LISTING}">Tin mới</a>\n', encoding="utf-8")
    (site / "routes.tsv").write_text("\n".join(routes) + "\n", encoding="utf-8")


# --- the registry entries --------------------------------------------------------------


def registry_entry(o: GenOutlet) -> dict:
    """The family's registry entry, re-hosted, with the generated discovery documents."""
    family = next(e for e in yaml.safe_load(BUILTIN_REGISTRY.read_text(encoding="utf-8"))["outlets"]
                  if e["key"] == o.family)
    real_host = family["base_url"].removeprefix("https://")
    pattern = family["article_url_pattern"].replace(re.escape(real_host), re.escape(o.host))
    entry = {k: family[k] for k in ("province", "timezone", "selectors", "dateline_prefixes") if k in family}
    return {"key": o.key, "name": f"Báo Tổng hợp {o.index} ({o.family})", **entry, "base_url": o.base,
            "feeds": [f"{o.base}/rss/home.rss"], "sitemaps": [f"{o.base}/sitemaps/sitemap.xml"],
            "listings": [{"url": f"{o.base}{LISTING}", "pagination": f"{o.base}{LISTING}?page={{page}}"}],
            "article_url_pattern": pattern, "verified": True,
            "sources_note": f"synthetic scale-mirror outlet in the {o.family} template (crawler/mirror/generate.py)"}


def outlets_for(count: int) -> list[GenOutlet]:
    return [GenOutlet(i, FAMILIES[(i - 1) % len(FAMILIES)]) for i in range(1, count + 1)]


def generate(directory: Path, outlets: int, total: int, seed: int, epoch: int = 0) -> list[GenArticle]:
    """Write ``directory/sites`` and ``directory/sources.yaml``; return the articles."""
    gen = outlets_for(outlets)
    arts = articles(gen, total, seed, epoch)
    sites = directory / "sites"
    if sites.exists():
        shutil.rmtree(sites)
    sites.mkdir(parents=True)
    pool = paragraph_pool()
    for o in gen:
        own = sorted((a for a in arts if a.outlet == o), key=lambda a: a.number, reverse=True)
        write_outlet(sites, o, own, pool)
    (directory / "sources.yaml").write_text(
        yaml.safe_dump({"outlets": [registry_entry(o) for o in gen]}, allow_unicode=True, sort_keys=False),
        encoding="utf-8")
    return arts
