"""Gold pages from the four outlet-family mirrors, plus hostile variants of real pages.

    /work/venv/bin/python tests/extraction/gold/_build_families.py

1. Every article page of ``crawler/mirror/sites/{baocaobang.vn, baokhanhhoa.vn,
   baocantho.com.vn, baolaocai.vn}`` is copied byte-exact into ``gold/<outlet>/`` and its
   ``.json`` is derived from ``crawler/mirror/reconstruct/<outlet>.json``, the data the
   page was generated from (the generator's own ``url()`` says which file is which).
2. ``gold/hostile/``: code transforms of those real pages (and of one Báo Lạng Sơn mirror
   page) that plant one hard case each: JSON-LD authors and publisher, credit bylines,
   re-publication credits, a figcaption photo credit, a date only in the related box, an
   "updated" line before the published one. The truth of a variant is the row's truth
   plus exactly what the transform adds or removes. No prose is invented.

The extractor is never run here, so the gold cannot be tuned to its output. Every page
is scored with the outlet's registry rules and generically (``also_generic``).

Contract decisions applied to the source truth (the same for every page):

- ``summary``: the sapo without the dateline the site prints before it (``(CTO) -``,
  ``(CT) -``); ``text``: the body paragraphs joined by a blank line, or the lead when
  the page has no paragraph (teasers, photo-album intros: ``ArticleRecord`` contract);
- ``published_at``: the row's time, to the precision the page prints (minutes, except
  Báo Lào Cai whose ``time[datetime]`` carries seconds); ``section``: the category name;
- ``authors``: the printed byline as printed (``P.V`` stays ``P.V``); ``tags``: none;
- ``captions``: one per captioned image, in page order; a row without captions states
  none (``[]``): Báo Cần Thơ's one image is uncaptioned (it is still the lead image, see
  ``image_url``) and Báo Lào Cai's pages print no image;
- ``published_at_source``, ``image_url``, ``language``, ``canonical_url``: what the page
  written states (``_truth.page_fields``: its JSON-LD, meta or itemprop date, else its date
  line; the first image of the article block ``CONTENT`` names; ``<html lang>``; its
  rel=canonical), read from the final bytes, so a variant's transform counts.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

from _truth import page_fields
from crawler.mirror.reconstruct import baocantho, baocaobang, baokhanhhoa, baolaocai
from crawler.mirror.reconstruct._common import load
from crawler.mirror.reconstruct.baolangson import CATEGORIES as LS_CATEGORIES
from crawler.mirror.reconstruct.baolangson import DATA as LS_DATA
from crawler.mirror.reconstruct.baolangson import DATELINE as LS_DATELINE
from crawler.mirror.reconstruct.baolangson import SITE as LS_SITE

HERE = Path(__file__).parent
SITES = HERE.parents[2] / "crawler" / "mirror" / "sites"
DATELINE = re.compile(r"^\((?:CTO|CT)\)\s*-\s*")
# Each outlet's article block (as its generator prints it): its first <img> is the lead image.
CONTENT = {
    "baocaobang": "//div[@id='content-detail']",
    "baokhanhhoa": "//div[@class='div_detail']/div[@class='content']",
    "baocantho": "//div[@class='news-content']",
    "baolaocai": "//div[contains(@class, 'article__body')]",
    "baolangson": "//div[@id='content-detail']",
}


def _fold(text: str) -> str:
    return " ".join(text.split())


def _minute(when: datetime) -> str:
    return when.replace(second=0).isoformat()


FAMILIES = {
    # outlet key: (module, host, file of a row, section of a row, published precision, captions?)
    "baocaobang": (baocaobang, "baocaobang.vn",
                   lambda a: baocaobang.url(a).removeprefix(baocaobang.BASE + "/"),
                   lambda a: baocaobang.CATEGORIES[a["category"]], _minute),
    "baokhanhhoa": (baokhanhhoa, "baokhanhhoa.vn", lambda a: f"{a['path']}/index.html",
                    lambda a: baokhanhhoa.CATEGORIES[a["category"]], _minute),
    "baocantho": (baocantho, "baocantho.com.vn",
                  lambda a: baocantho.url(a).removeprefix(baocantho.BASE + "/"),
                  lambda a: "Thời sự", _minute),
    "baolaocai": (baolaocai, "baolaocai.vn",
                  lambda a: baolaocai.url(a).removeprefix(baolaocai.BASE + "/"),
                  lambda a: baolaocai.SECTION[1], lambda w: w.isoformat()),
}


def expected_of(key: str, a: dict) -> dict:
    _, _, _, section, precision = FAMILIES[key]
    summary = _fold(DATELINE.sub("", a["sapo"]))
    paragraphs = [_fold(p) for p in a["paragraphs"]]
    spec = {
        "title": _fold(a["title"]),
        "summary": summary,
        "text": "\n\n".join(paragraphs) if paragraphs else summary,
        "authors": [a["author"]] if a.get("author") else [],
        "attribution": None,
        "published_at": precision(a["when"]),
        "updated_at": None,
        "section": section(a),
        "tags": [],
    }
    if "captions" in a:
        spec["captions"] = [_fold(c) for c in a["captions"][:image_count(key, a)]]
    else:
        spec["captions"] = []
    return spec


def image_count(key: str, a: dict) -> int:
    """How many captions sit with an <img> on the page (images come first). Báo Cao Bằng's
    generator prints an image only with the first caption, and only when the story has
    paragraphs; its other captions stand alone (centred italics: a picture the page
    lacks), which belong to no image and to no text."""
    if key == "baocaobang":
        return 1 if a["paragraphs"] and a["captions"] else 0
    return len(a["captions"])


def write(folder: Path, name: str, html: bytes, url: str, outlet: str, source: str,
          expected: dict) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.html").write_bytes(html)
    expected = {**expected, **page_fields(html, url, CONTENT[outlet], expected)}
    spec = {"meta": {"url": url, "outlet": outlet, "also_generic": True, "source": source,
                     "captured": "mirror build"},
            "expected": expected}
    (folder / f"{name}.json").write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")


def families() -> dict[str, dict]:
    """Copy every family article page; return {outlet/id: (row, html, url)} for the variants."""
    rows: dict[str, dict] = {}
    for key, (module, host, rel, _, _) in FAMILIES.items():
        folder = HERE / key
        for a in load(key):
            page = SITES / host / rel(a)
            url = module.url(a)
            name = rel(a).removesuffix("/index.html").removesuffix(".html").rsplit("/", 1)[-1]
            html = page.read_bytes()
            write(folder, name, html, url, key,
                  f"mirror page crawler/mirror/sites/{host}/{rel(a)}; expected values derived from "
                  f"crawler/mirror/reconstruct/{key}.json by _build_families.py; text {a['text_status']}",
                  expected_of(key, a))
            rows[f"{key}/{a.get('id') or a['path'].rsplit('-', 1)[-1]}"] = {"row": a, "html": html.decode("utf-8"),
                                                                             "url": url}
    return rows


# --- hostile variants ------------------------------------------------------------------------

def _sub(html: str, old: str, new: str) -> str:
    """Replace exactly one occurrence: a transform that misses its target is a build error."""
    if html.count(old) != 1:
        raise SystemExit(f"transform target found {html.count(old)} times: {old[:60]!r}")
    return html.replace(old, new)


def _cut(html: str, pattern: str) -> str:
    new, n = re.subn(pattern, "", html, count=1, flags=re.S)
    if n != 1:
        raise SystemExit(f"transform target not found: {pattern!r}")
    return new


LAOCAI_BYLINE = '<div class="t1"> <span class="t2">Anh Dũng</span>\n</div>'


def variants(rows: dict[str, dict]) -> list[tuple[str, str, str, str, dict, str]]:
    """(name, outlet, url, html, expected, what) of every hostile page."""
    out = []

    lc = rows["baolaocai/404649"]
    base = expected_of("baolaocai", lc["row"])
    when = lc["row"]["when"].isoformat()

    ld = json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": lc["row"]["title"],
        "datePublished": when, "dateModified": when,
        "author": [{"@type": "Person", "name": "Anh Dũng"},
                   {"@type": "Organization", "name": "Báo Lào Cai"}],
        "publisher": {"@type": "Organization", "name": "Báo Lào Cai",
                      "logo": {"@type": "ImageObject", "url": "https://baolaocai.vn/logo.png"}},
    }, ensure_ascii=False)
    html = _sub(lc["html"], "</head>", f'<script type="application/ld+json">{ld}</script>\n</head>')
    html = _sub(html, LAOCAI_BYLINE, "")
    out.append(("laocai-jsonld-person-authors", "baolaocai", lc["url"], html,
                {**base, "authors": ["Anh Dũng"], "updated_at": when},
                "JSON-LD NewsArticle: a Person and an Organization as author, an Organization "
                "publisher; the visible byline removed"))

    html = _sub(lc["html"], LAOCAI_BYLINE, "<div> Bài, ảnh: Anh Dũng\n</div>")
    out.append(("laocai-bai-anh-byline", "baolaocai", lc["url"], html, base,
                "byline rewritten as the credit line 'Bài, ảnh: Anh Dũng' in a plain body div"))

    html = _cut(lc["html"], r'<div class="article__meta">.*?</div>\n')
    out.append(("laocai-date-only-in-related", "baolaocai", lc["url"], html,
                {**base, "published_at": None},
                "the article's own date line and datePublished meta removed: the only dates left "
                "are in the related box, which must not be taken"))

    html = _cut(lc["html"], r'<meta class="cms-date" itemprop="datePublished"[^>]*>')
    html = _sub(html, '<div class="article__meta">',
                '<div class="article__meta"><span class="time-update">Cập nhật: 18/06/2025 08:05</span> ')
    out.append(("laocai-cap-nhat-before-date", "baolaocai", lc["url"], html,
                {**base, "updated_at": "2025-06-18T08:05:00+07:00"},
                "a 'Cập nhật: …' line (time reconstructed) placed before the published time, "
                "and no datePublished meta"))

    cb = rows["baocaobang/48706"]
    base = expected_of("baocaobang", cb["row"])
    html = _sub(cb["html"], "</div>\n<div class=\"related\">",
                "<p><strong>Nhóm PV</strong></p>\n</div>\n<div class=\"related\">")
    out.append(("caobang-nhom-pv", "baocaobang", cb["url"], html, {**base, "authors": ["Nhóm PV"]},
                "a bold 'Nhóm PV' (reporters' team) last paragraph as the byline"))

    cb = rows["baocaobang/61421"]
    base = expected_of("baocaobang", cb["row"])
    html = _sub(cb["html"], "</div>\n<div class=\"related\">",
                "<p><em>(Theo Báo điện tử Cao Bằng)</em></p>\n</div>\n<div class=\"related\">")
    out.append(("caobang-theo-credit", "baocaobang", cb["url"], html,
                {**base, "attribution": "Báo điện tử Cao Bằng"},
                "the credit the real quochoi.vn copy of this story carries, as its last line"))

    cb = rows["baocaobang/51877"]
    base = expected_of("baocaobang", cb["row"])
    html = _sub(cb["html"], "</div>\n<div class=\"related\">",
                '<p style="text-align:right">Nguồn: baocaobang.vn</p>\n</div>\n<div class="related">')
    out.append(("caobang-nguon-credit", "baocaobang", cb["url"], html,
                {**base, "attribution": "baocaobang.vn"},
                "a right-aligned 'Nguồn: baocaobang.vn' credit as the last line"))

    kh = rows["baokhanhhoa/8209043"]
    base = expected_of("baokhanhhoa", kh["row"])
    html = _sub(kh["html"], "</div></div>\n<div id=\"footer\">", "<p>(Theo VOV)</p>\n</div></div>\n<div id=\"footer\">")
    out.append(("khanhhoa-theo-vov", "baokhanhhoa", kh["url"], html, {**base, "attribution": "VOV"},
                "'(Theo VOV)' appended as the last body line"))

    # Báo Lạng Sơn 5000002: its real caption ends with the photo credit "Ảnh: Hoàng Tùng".
    ls_rows = {str(r["id"]): r for r in json.loads(LS_DATA.read_text(encoding="utf-8"))}
    row = ls_rows["5000002"]
    page = LS_SITE / f"{row['slug']}-5000002.html"
    src = page.read_text(encoding="utf-8")
    caption, credit = row["images"][0]["caption"].rsplit(" Ảnh: ", 1)
    img = re.search(r'<p style="text-align:center"><img src="([^"]+)"></p><p style="text-align:center"><em>[^<]*</em></p>',
                    src)
    html = src.replace(img.group(0), f'<figure class="image"><img src="{img.group(1)}">'
                                     f"<figcaption><p>{caption}</p><p><em>Ảnh: {credit}</em></p>"
                                     "</figcaption></figure>", 1)
    paragraphs = [_fold(p) for p in row["paragraphs"]]
    summary = _fold(LS_DATELINE.sub("", row["sapo"]))
    out.append(("langson-figcaption-photo-credit", "baolangson", f"https://baolangson.vn/{page.name}", html, {
        "title": row["title"], "summary": summary, "text": "\n\n".join(paragraphs) if paragraphs else summary,
        "authors": [], "attribution": None,
        "published_at": datetime.strptime(row["published"], "%H:%M %d/%m/%Y").isoformat() + "+07:00",
        "updated_at": None,
        "section": LS_CATEGORIES[row["category"]], "tags": [],
        "captions": [f"{_fold(caption)} Ảnh: {credit}"]},
        "the captioned image rewritten as <figure><figcaption> with the caption and its "
        "'Ảnh: Hoàng Tùng' credit in two paragraphs: the credit stays with the image"))
    return out


def main() -> None:
    for key in FAMILIES:
        folder = HERE / key
        # Only this script's files: the outlet folders also hold hand-built pages.
        for old in folder.glob("*.json") if folder.is_dir() else []:
            if "_build_families.py" in old.read_text(encoding="utf-8"):
                old.unlink()
                old.with_suffix(".html").unlink(missing_ok=True)
    hostile = HERE / "hostile"
    if hostile.is_dir():
        shutil.rmtree(hostile)
    rows = families()
    made = variants(rows)
    for name, outlet, url, html, expected, what in made:
        write(hostile, name, html.encode("utf-8"), url, outlet,
              f"variant of a mirror page by _build_families.py: {what}; real text, expected values "
              "from the mirror's source JSON", expected)
    print(f"{len(rows)} family pages, {len(made)} hostile variants")


if __name__ == "__main__":
    main()
