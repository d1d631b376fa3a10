"""(html, url, outlet) → ArticleRecord: trafilatura plus Vietnamese post-processing.

trafilatura finds the body and drops page furniture well, but on Vietnamese pages
it loses the sapo, leaks captions, keeps capitals bylines in the text and takes
dates from related boxes. So, in this order:

1. read structured metadata (metas, JSON-LD) and the page's own date element
   while the DOM is intact;
2. cut the sapo, captions and byline nodes out of the DOM, remembering them;
3. body text from ``selectors.body`` when the outlet has one, else trafilatura;
4. clean the text: boilerplate lines, a repeated sapo, and the trailing
   byline / credit / attribution lines, which become fields.

Text fields take the record's one shape (``crawler.core.record.normalise``: NFC,
paragraphs joined by a blank line, the content hash). Authors keep the form the page prints
("PHÙNG KHIÊM" stays upper case): re-casing names is lossy and a display concern.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import islice
from urllib.parse import urljoin, urlsplit

from lxml import etree
from trafilatura import bare_extraction

from crawler.core.dates import DEFAULT_TZ, parse_date
from crawler.core.record import ArticleRecord, Image, join_paragraphs, nfc, normalise
from crawler.core.registry import Outlet
from crawler.extraction import dom
from crawler.extraction.encoding import decode_html, vietnamese_score
from crawler.extraction.errors import ExtractionError
from crawler.extraction.vitext import (
    attribution_of,
    clean_authors,
    credit_authors,
    is_boilerplate,
    is_caps_byline,
    is_name_line,
    photo_credit,
    split_names,
    strip_dateline,
)

MAX_INPUT = 10 * 1024 * 1024
MAX_CAPTION_CHARS = 400
MAX_TAIL_CREDITS = 4
MAX_GAP = 2  # paragraphs given back between two precise ones (see _fill_gaps)
# Note on a record whose summary is the lead printed on the page (not only a meta
# description): summary + text is then the whole article as a reader sees it.
LEAD_IN_PAGE = "summary:in_page"
# Above this many elements a page is pathological (real articles have a few thousand):
# trafilatura gets a copy without bare inline wrappers and without its fallback
# extractors and costlier options, and htmldate is not run. Every pass stays O(n), so
# the work is bounded by MAX_INPUT rather than by the page's shape.
MAX_THOROUGH_ELEMENTS = 20_000
# Inline wrappers that carry no structure any pass uses (links stay: link density is
# how trafilatura spots boilerplate); unwrapped when bare on a huge page.
# trafilatura's metadata pass always runs htmldate, by default with its extensive text
# search: regexes over the whole text, which took 37 s on one long line. We never use
# its date (ours is read before), so it gets the cheap settings.
_TRAFILATURA_DATE = {"extensive_search": False, "original_date": True}
_BARE_INLINE = ("span", "font", "small", "big", "u", "s", "abbr", "mark", "bdi", "bdo", "wbr")

_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd")
_ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNews",
                  "AnalysisNewsArticle", "Report", "WebPage"}
_SAPO_CSS = (".sapo, .summary, .lead, .article__sapo, .detail-sapo, .news_detail_sapo, "
             ".article-sapo, .chapeau, h2.sapo, h4.sapo, [itemprop=description]")
_CONTENT_CSS = ("#content-detail, .content-detail, [itemprop=articleBody], .article__body, "
                ".detail-content, .content-body, .news-content, .article-content, .entry-content")
_DATE_XPATH = (
    "//time | //*[contains(translate(@class,'DATEIMPUBLSH','dateimpublsh'),'date') "
    "or contains(translate(@class,'TIME','time'),'time') "
    "or contains(translate(@class,'PUBLISH','publish'),'publish') "
    "or contains(translate(@id,'DATE','date'),'date')]"
)
_RIGHT = re.compile(r"text-align\s*:\s*right", re.I)
_CENTER = re.compile(r"text-align\s*:\s*center", re.I)
_UPDATED_PREFIX = re.compile(r"^\s*cập nhật", re.I)


@dataclass
class _Page:
    """What the field functions share: the tree, its metadata and the outlet."""

    tree: etree._Element
    url: str
    outlet: Outlet | None
    tz: tzinfo
    metas: dict[str, list[str]]
    ld: list[dict]
    notes: list[str] = field(default_factory=list)
    elements: int = 0  # size of the tree as parsed
    date_candidates: list[etree._Element] | None = None  # computed once, on the intact tree

    @property
    def huge(self) -> bool:
        return self.elements > MAX_THOROUGH_ELEMENTS

    def meta(self, *keys: str) -> str | None:
        for key in keys:
            values = self.metas.get(key)
            if values:
                return values[0]
        return None

    def selector(self, name: str) -> str | None:
        return getattr(self.outlet.selectors, name) if self.outlet else None

    def ld_value(self, key: str) -> object:
        articles = [o for o in self.ld if dom.ld_types(o) & _ARTICLE_TYPES]
        for obj in articles + [o for o in self.ld if o not in articles]:
            if obj.get(key):
                return obj[key]
        return None


def extract_bytes(body: bytes, url: str, *, content_type: str | None = None,
                  outlet: Outlet | None = None,
                  fallback_date: tuple[datetime, str] | None = None) -> ArticleRecord:
    """Decode ``body`` (see ``decode_html``) and extract; sets ``record.encoding``."""
    if len(body) > MAX_INPUT:
        raise ExtractionError("too_large", f"{len(body)} bytes > {MAX_INPUT}")
    # A compressed body without Content-Encoding would be inflated without a cap
    # further down: a decompression bomb's way in. It is never a page.
    if body.startswith(_COMPRESSED_MAGIC):
        raise ExtractionError("compressed", "body starts with gzip/zstd magic bytes")
    page = decode_html(body, content_type)
    record = extract_article(page.text, url, outlet=outlet, fallback_date=fallback_date)
    record.encoding = page.encoding
    if page.mojibake:
        record.notes.append("mojibake")
    if page.legacy_font:
        record.notes.append(f"legacy_font:{page.legacy_font}")
    if page.conflict:
        record.notes.append(f"encoding_conflict:{page.conflict}")
    return record


def extract_article(html: str, url: str, *, outlet: Outlet | None = None,
                    fallback_date: tuple[datetime, str] | None = None) -> ArticleRecord:
    """One article from one page, or ``ExtractionError`` when there is none."""
    if len(html) > MAX_INPUT:
        raise ExtractionError("too_large", f"{len(html)} characters > {MAX_INPUT}")
    # NFC first, once: NFD pages would otherwise defeat every string comparison below.
    tree = dom.parse(nfc(html))
    ld = dom.json_ld(tree)  # read before the scripts go
    dom.strip_tags(tree, ("script", "style", "noscript", "template"))
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_THOROUGH_ELEMENTS:
        # Unwrap attribute-less inline wrappers (their text stays): a pathological
        # page shrinks to its structure before any pass walks it. It still counts
        # as huge: what made it pathological (length, long lines) is still there.
        dom.unwrap_bare(tree, _BARE_INLINE)
    page = _Page(tree, url, outlet, outlet.tz if outlet else DEFAULT_TZ, dom.meta_map(tree), ld,
                 elements=elements)
    if outlet:
        for css in outlet.selectors.exclude:
            for el in dom.select(tree, css):
                dom.remove(el)
    return _build(page, fallback_date)


def _build(page: _Page, fallback_date: tuple[datetime, str] | None) -> ArticleRecord:
    record = ArticleRecord(url=page.url, outlet=page.outlet.key if page.outlet else None)
    record.published_at, record.published_at_source = _published(page, fallback_date)
    record.updated_at = _updated(page)
    record.title = _title(page)
    record.section = _section(page, record.title)
    record.tags = _tags(page)
    record.canonical_url = _canonical(page)
    summary_node, record.summary = _summary(page)
    if summary_node is not None:
        dom.remove(summary_node)
        page.notes.append(LEAD_IN_PAGE)
    record.images = _pull_captions(page)
    dom_authors, dom_attribution = _pull_byline_nodes(page)
    paragraphs, doc = _body(page)
    paragraphs, record.summary = _clean_paragraphs(paragraphs, record.summary, record.title, page)
    paragraphs, tail_authors, tail_attribution = _split_tail(paragraphs)
    record.text = join_paragraphs(paragraphs)
    if not record.text and record.summary:
        # Photo stories and short briefs carry no prose but their lead: that lead is
        # the article's text, and dropping the article would lose it.
        record.text = record.summary
        page.notes.append("text:summary_only")
    if not record.text:
        raise ExtractionError("no_text", "no article text on the page")
    if not record.summary and doc is not None and doc.description:
        record.summary = strip_dateline(nfc(doc.description), _prefixes(page))
    record.title = record.title or (nfc(doc.title) if doc is not None and doc.title else None)
    record.authors = _authors(page, dom_authors + tail_authors, doc)
    record.attribution = dom_attribution or tail_attribution
    record.image_url = _image_url(page, record.images)
    record.language = _language(page, record.text, doc)
    record.word_count = len(re.findall(r"\w+", record.text))
    record.notes.extend(page.notes)
    return normalise(record)


def full_text(record: ArticleRecord) -> str:
    """The article as a reader sees it: the printed lead, then the text. A summary
    that exists only as a meta description is not part of it."""
    if record.summary and LEAD_IN_PAGE in record.notes and record.text != record.summary:
        return join_paragraphs([record.summary, record.text])
    return record.text


# --- title, section, tags, canonical ------------------------------------------------

def _title(page: _Page) -> str | None:
    for el in dom.select(page.tree, page.selector("title"))[:1]:
        page.notes.append("selector:title")
        return dom.text_of(el) or None
    h1 = dom.first_h1(page.tree)
    if h1 is not None:
        return dom.text_of(h1)
    return page.meta("og:title", "twitter:title")


def _section(page: _Page, title: str | None) -> str | None:
    section = page.meta("article:section")
    if section:
        return section
    for obj in page.ld:
        if "BreadcrumbList" in dom.ld_types(obj):
            names = [_ld_item_name(i) for i in obj.get("itemListElement") or [] if isinstance(i, dict)]
            names = [n for n in names if n and n != title and not _is_home(n)]
            if names:
                return names[-1]
    links = page.tree.xpath("//*[contains(translate(@class,'BREADCRUMB','breadcrumb'),'breadcrumb')]//a")
    names = [dom.text_of(a) for a in links]
    names = [n for n in names if n and n != title and not _is_home(n)]
    return names[-1] if names else None


def _ld_item_name(item: dict) -> str | None:
    inner = item.get("item")
    name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
    return nfc(str(name)).strip() if name else None


def _is_home(name: str) -> bool:
    return name.casefold() in ("trang chủ", "home", "trang nhất")


def _tags(page: _Page) -> list[str]:
    raw = page.metas.get("article:tag") or []
    if not raw:
        links = page.tree.xpath(
            "//a[@rel='tag'] | //*[contains(translate(@class,'TAG','tag'),'tag')]//a"
            "[contains(@href,'tag') or contains(@href,'tu-khoa') or contains(@href,'keyword')]")
        raw = [dom.text_of(a) for a in links]
    if not raw:
        raw = page.metas.get("news_keywords") or page.metas.get("keywords") or []
    tags: list[str] = []
    for value in raw:
        for tag in value.split(","):
            tag = tag.strip(" #\t")
            if tag and tag.casefold() not in {t.casefold() for t in tags}:
                tags.append(tag)
    return tags


def _canonical(page: _Page) -> str | None:
    links = page.tree.xpath("//link[@rel='canonical']/@href")
    href = (links[0] if links else None) or page.meta("og:url")
    if not href:
        return None
    absolute = urljoin(page.url, href.strip())
    return absolute if _same_site(absolute, page.url) else None


def _same_site(a: str, b: str) -> bool:
    def host(u: str) -> str:
        h = (urlsplit(u).hostname or "").lower()
        return h.removeprefix("www.").removeprefix("m.")
    ha, hb = host(a), host(b)
    return bool(ha) and (ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha))


# --- dates ------------------------------------------------------------------------

def _published(page: _Page, fallback: tuple[datetime, str] | None) -> tuple[datetime | None, str | None]:
    structured = (
        ("jsonld:datePublished", page.ld_value("datePublished")),
        ("meta:article:published_time", page.meta("article:published_time")),
        ("itemprop:datePublished", page.meta("datepublished") or _itemprop(page, "datePublished")),
    )
    for source, raw in structured:
        value = parse_date(str(raw), page.tz) if raw else None
        if value:
            return value, source
    for source, value in (("selector:date", _selector_date(page)),
                          ("page:date-element", _date_element(page)),
                          ("page:text-near-title", _date_near_title(page))):
        if value:
            return value, source
    if fallback:
        return fallback
    value = _htmldate(page)
    return (value, "htmldate") if value else (None, None)


def _updated(page: _Page) -> datetime | None:
    for raw in (page.ld_value("dateModified"), page.meta("article:modified_time", "og:updated_time"),
                page.meta("datemodified") or _itemprop(page, "dateModified")):
        value = parse_date(str(raw), page.tz) if raw else None
        if value:
            return value
    for el in _date_candidates(page):
        text = dom.text_of(el)
        if _UPDATED_PREFIX.match(text):
            return parse_date(text, page.tz)
    return None


def _itemprop(page: _Page, name: str) -> str | None:
    for el in page.tree.xpath(f"//*[@itemprop='{name}']"):
        value = el.get("datetime") or el.get("content") or dom.text_of(el)
        if value:
            return value
    return None


def _selector_date(page: _Page) -> datetime | None:
    for el in dom.select(page.tree, page.selector("date")):
        value = parse_date(el.get("datetime") or dom.text_of(el), page.tz)
        if value:
            page.notes.append("selector:date")
            return value
    return None


def _date_candidates(page: _Page) -> list[etree._Element]:
    """Elements whose class says date/time/publish, outside header, menus,
    related boxes, sidebars and footers (the "today" bar is never a date)."""
    if page.date_candidates is None:
        page.date_candidates = _find_date_candidates(page)
    return page.date_candidates


def _find_date_candidates(page: _Page) -> list[etree._Element]:
    found = []
    for el in page.tree.xpath(_DATE_XPATH):
        if el.tag in ("meta", "link") or dom.is_noise(el):
            continue
        if len(dom.text_of(el)) <= 200:
            found.append(el)
    return found


def _date_element(page: _Page) -> datetime | None:
    candidates = _date_candidates(page)
    if not candidates:
        return None
    h1 = dom.first_h1(page.tree)
    if h1 is not None:
        order = dom.positions(page.tree)
        after = [el for el in candidates if order[el] > order[h1]]
        before = [el for el in candidates if order[el] < order[h1]]
        # The article's own date sits right after the title, or just above it.
        candidates = after + before[::-1]
    # "Cập nhật: …" is the update time wherever it sits; it stands for the publication
    # time only on pages that print no other date.
    updated = [el for el in candidates if _UPDATED_PREFIX.match(dom.text_of(el))]
    for el in [el for el in candidates if el not in updated] + updated:
        value = parse_date(el.get("datetime") or dom.text_of(el), page.tz)
        if value:
            return value
    return None


def _date_near_title(page: _Page) -> datetime | None:
    """A date in the short lines right after the h1, before the body starts."""
    h1 = dom.first_h1(page.tree)
    if h1 is None:
        return None
    for el in islice(dom.following(h1), 12):
        text = dom.text_of(el)
        if len(text) > 150:
            break  # the lead or the body: dates in there are about events
        if not dom.is_noise(el) and not _UPDATED_PREFIX.match(text):
            value = parse_date(text, page.tz)
            if value:
                return value
    return None


def _htmldate(page: _Page) -> datetime | None:
    # Last resort, on a copy without header/related/sidebar/footer, and without
    # htmldate's extensive text search (it happily takes related-box dates).
    from htmldate import find_date

    if page.huge:
        page.notes.append("htmldate:skipped_huge")
        return None
    tree = copy.deepcopy(page.tree)
    dom.drop_noise(tree)
    try:
        found = find_date(tree, url=page.url, extensive_search=False, original_date=True)
    except Exception:  # noqa: BLE001 - a last resort must not fail the page
        return None
    value = parse_date(found, page.tz) if found else None
    if value:
        page.notes.append("htmldate")
    return value


# --- summary, captions, bylines ------------------------------------------------------

def _prefixes(page: _Page) -> list[str]:
    return list(page.outlet.dateline_prefixes) if page.outlet else []


def _summary(page: _Page) -> tuple[etree._Element | None, str | None]:
    node = next(iter(dom.select(page.tree, page.selector("summary"))), None)
    if node is not None:
        page.notes.append("selector:summary")
    else:
        node = _generic_sapo(page)
    text = dom.text_of(node) if node is not None else None
    if not text:
        node, text = None, page.meta("og:description", "description", "twitter:description")
    if not text:
        return None, None
    return node, strip_dateline(" ".join(text.split()), _prefixes(page)) or None


def _generic_sapo(page: _Page) -> etree._Element | None:
    for el in dom.select(page.tree, _SAPO_CSS):
        if el.tag != "meta" and len(dom.text_of(el)) >= 30 and not dom.is_noise(el):
            return el
    # A heading as the first child of the content container (Báo Lạng Sơn's h2), or
    # a first paragraph printed wholly in bold (Báo Cần Thơ's <p><strong>).
    for container in dom.select(page.tree, _CONTENT_CSS):
        first = next(iter(container.iterchildren(tag=etree.Element)), None)
        if first is None or len(dom.text_of(first)) < 40:
            continue
        if first.tag in ("h2", "h3", "h4") or (first.tag in ("p", "div") and _wholly_bold(first)):
            return first
    return None


def _wholly_bold(el: etree._Element) -> bool:
    bold = " ".join(dom.text_of(b) for b in el.iter("strong", "b") if b.getparent() is not None)
    return " ".join(bold.split()) == dom.text_of(el)


def _pull_captions(page: _Page) -> list[Image]:
    """Captioned images out of the DOM, before trafilatura sees them: figures,
    image tables (``td.caption``), and an image followed by a centred or italic
    short line. Removing them is what keeps captions out of ``text``."""
    images: list[tuple[int, Image]] = []
    tree = page.tree
    order = dom.positions(tree)
    for fig in list(tree.iter("figure")):
        cap = fig.find(".//figcaption")
        # Uncaptioned figures are mostly teaser thumbnails of other stories.
        if cap is not None and not dom.is_noise(fig):
            _add_image(images, fig, page.url, dom.text_of(cap), order)
            dom.remove(fig)
    for table in list(tree.iter("table")):
        if _is_image_table(table):
            _add_image(images, table, page.url, _table_caption(table), order)
            dom.remove(table)
    for img in list(tree.iter("img")):
        if img.getparent() is None or dom.is_noise(img):
            continue
        caption_node, caption = _caption_after(img)
        if caption_node is not None:
            _add_image(images, img, page.url, caption, order)
            dom.remove(caption_node)
    for el in list(tree.iter("p", "div")):
        # A centred, wholly italic short line with no image is the caption of a picture
        # the page did not (or lazily) include: not prose, and no image to give it to.
        if (el.getparent() is not None and el.find(".//img") is None and _is_orphan_caption(el)
                and not dom.is_noise(el)):
            dom.remove(el)
    for el in tree.xpath("//*[contains(translate(@class,'CAPTION','caption'),'caption')]"):
        if el.getparent() is not None and not dom.is_noise(el):
            imgs = el.xpath("preceding::img[1]")
            if imgs:
                _add_image(images, imgs[0], page.url, dom.text_of(el), order)
            dom.remove(el)
    return [image for _, image in sorted(images, key=lambda pair: pair[0])]


def _add_image(images: list[tuple[int, Image]], node: etree._Element, base: str,
               caption: str | None, order: dict) -> None:
    img = node if node.tag == "img" else node.find(".//img")
    src = dom.image_src(img, base) if img is not None else None
    if src:
        images.append((order.get(img, 0), Image(url=src, caption=caption or None)))


def _is_image_table(table: etree._Element) -> bool:
    return (table.find(".//img") is not None and table.find(".//table") is None
            and len(dom.text_of(table)) <= MAX_CAPTION_CHARS and not dom.is_noise(table))


def _table_caption(table: etree._Element) -> str | None:
    cells = table.xpath(".//td[contains(@class,'caption')] | .//figcaption")
    if not cells:
        cells = [td for td in table.iter("td", "th") if td.find(".//img") is None]
    text = " ".join(t for t in (dom.text_of(c) for c in cells) if t)
    return text or None


def _caption_after(img: etree._Element) -> tuple[etree._Element | None, str | None]:
    block = img
    while block.getparent() is not None and block.tag not in dom.BLOCK_TAGS:
        block = block.getparent()
    own = dom.text_of(block)
    if own and len(own) <= MAX_CAPTION_CHARS and _caption_style(block) and block.tag not in ("body", "html"):
        return block, own  # <p align=center><img><br><em>caption</em></p>
    if own:
        return None, None
    nxt = block.getnext()
    if nxt is None or not isinstance(nxt.tag, str) or nxt.find(".//img") is not None:
        return None, None
    text = dom.text_of(nxt)
    if text and len(text) <= MAX_CAPTION_CHARS and _caption_style(nxt):
        return nxt, text
    return None, None


def _centred_layout(el: etree._Element) -> bool:
    """True when most text blocks around ``el`` are centred too: then centring is
    how the whole story is set (a blog post, a poem), not the mark of a caption."""
    # The three text blocks on each side: bounded work per image, whatever the page.
    blocks = [*islice((b for b in el.itersiblings("p", "div", preceding=True) if dom.text_of(b)), 3),
              *islice((b for b in el.itersiblings("p", "div") if dom.text_of(b)), 3)]
    return len(blocks) >= 3 and 2 * sum(1 for b in blocks if _centred(b)) > len(blocks)


def _is_orphan_caption(el: etree._Element) -> bool:
    if not _centred(el) or _centred_layout(el):
        return False
    text = dom.text_of(el)
    italic = " ".join(dom.text_of(i) for i in el.iter("em", "i"))
    return bool(text) and len(text) <= MAX_CAPTION_CHARS and " ".join(italic.split()) == text


def _centred(el: etree._Element) -> bool:
    return bool(_CENTER.search(el.get("style") or "")) or (el.get("align") or "").lower() == "center" \
        or el.tag == "center"


def _caption_style(el: etree._Element) -> bool:
    if _centred(el) and not _centred_layout(el):
        return True
    if any("caption" in c or c in ("desc", "image-desc", "img-desc") for c in dom.classes(el)):
        return True
    italic = " ".join(dom.text_of(i) for i in el.iter("em", "i"))
    return bool(italic) and " ".join(italic.split()) == dom.text_of(el)


def _pull_byline_nodes(page: _Page) -> tuple[list[str], str | None]:
    """Right-aligned short lines and author elements: names or an attribution."""
    authors: list[str] = []
    attribution: str | None = None
    selected = dom.select(page.tree, page.selector("author"))
    if selected:
        page.notes.append("selector:author")
    candidates = selected + [
        el for el in page.tree.iter("p", "div")
        if _RIGHT.search(el.get("style") or "") or (el.get("align") or "").lower() == "right"
    ] + dom.select(page.tree, ".author, .byline, .author-name, [rel=author], [itemprop=author]")
    for el in candidates:
        text = dom.text_of(el)
        if el.getparent() is None or not text or len(text) > 80 or (el not in selected and dom.is_noise(el)):
            continue
        who = attribution_of(text)
        if who:
            attribution = attribution or who
        elif photo_credit(text):
            continue
        else:
            names = credit_authors(text) or split_names(re.sub(r"^(?:tác giả|tg)\s*:\s*", "", text, flags=re.I))
            authors.extend(names)
        dom.remove(el)
    return authors, attribution


# --- body -----------------------------------------------------------------------------

def _body(page: _Page) -> tuple[list[str], object | None]:
    node = next(iter(dom.select(page.tree, page.selector("body"))), None)
    if node is not None:
        page.notes.append("selector:body")
        return dom.block_paragraphs(node), None
    # favor_precision + tables: measured on the public AEB set (bench/floors.json),
    # precision rises more than recall falls; image tables left the DOM already.
    # Both cost extra pruning passes, so a pathologically large tree goes without
    # them, and without trafilatura's metadata pass (ours ran already).
    thorough = not page.huge
    tree = copy.deepcopy(page.tree)
    if not thorough:
        page.notes.append("body:huge_page")
    doc = bare_extraction(tree, url=page.url, with_metadata=thorough, fast=not thorough,
                          include_tables=thorough, include_comments=False, include_images=False,
                          favor_precision=thorough, deduplicate=False,
                          date_extraction_params=_TRAFILATURA_DATE)
    paragraphs = _lines(doc)
    if thorough and len(paragraphs) >= 2:
        paragraphs = _fill_gaps(paragraphs, page, tree_source=page.tree)
    container = _content_container(page)
    if container is not None and paragraphs and not _mostly_inside(paragraphs, container):
        # trafilatura took its text from outside the article's own container (a
        # related list when the lead is the only prose): the container is right.
        page.notes.append("body:container")
        return dom.block_paragraphs(container), doc
    if not paragraphs:
        # trafilatura gave up (too little text for its heuristics): read the
        # usual content containers directly.
        for container in dom.select(page.tree, _CONTENT_CSS + ", article"):
            paragraphs = dom.block_paragraphs(container)
            if paragraphs:
                break
    return paragraphs, doc


def _lines(doc: object | None) -> list[str]:
    lines = (doc.text or "").splitlines() if doc is not None else []
    return [" ".join(line.split()) for line in lines if line.strip()]


def _fill_gaps(precise: list[str], page: _Page, tree_source: etree._Element) -> list[str]:
    """Precision mode drops some short paragraphs *inside* the article (a one-line
    sentence between two quotes, a closing line) along with the furniture around it.
    A second, recall-minded pass (trafilatura's default, without fallbacks) gives
    those back: only what it finds strictly between two paragraphs both passes kept,
    so the edges, where furniture sits, stay as precise as they were."""
    try:
        recall_doc = bare_extraction(copy.deepcopy(tree_source), url=page.url, fast=True,
                                     include_tables=True, include_comments=False,
                                     include_images=False, deduplicate=False)
    except Exception:  # noqa: BLE001 - the precise text stands on its own
        return precise
    loose = _lines(recall_doc)
    where: dict[str, int] = {}
    for i, line in enumerate(loose):
        where.setdefault(_fold(line), i)
    kept = {_fold(line) for line in precise}
    result: list[str] = []
    last = None  # index in ``loose`` of the previous precise paragraph
    for line in precise:
        here = where.get(_fold(line))
        gap = loose[last + 1:here] if here is not None and last is not None and here > last else []
        if len(gap) <= MAX_GAP:  # a long run is a region precision mode meant to cut
            result.extend(p for p in gap if _fold(p) not in kept and _prose(p, kept))
        if here is not None and (last is None or here > last):
            last = here
        result.append(line)
    if len(result) > len(precise):
        page.notes.append("body:gaps_filled")
    return result


_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*$")


def _prose(line: str, kept: set[str]) -> bool:
    """A sentence worth giving back: five words or more, ending like a sentence, not
    shouted (promo lines), not a table row, not a variant of a paragraph kept already."""
    words = line.split()
    letters = [c for c in line if c.isalpha()]
    if len(words) < 5 or not _SENTENCE_END.search(line) or line.startswith("|") or is_boilerplate(line):
        return False
    if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
        return False
    head = _fold(" ".join(words[:6]))
    return not any(k.startswith(head) for k in kept)


def _content_container(page: _Page) -> etree._Element | None:
    for el in dom.select(page.tree, _CONTENT_CSS):
        if not dom.is_noise(el):
            return el
    return None


def _mostly_inside(paragraphs: list[str], container: etree._Element) -> bool:
    """True when at least half of the words of ``paragraphs`` are in ``container``."""
    inside = _fold(dom.text_of(container))
    words = [len(p.split()) for p in paragraphs]
    found = sum(n for p, n in zip(paragraphs, words) if _fold(p) in inside)
    return found * 2 >= sum(words)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _clean_paragraphs(paragraphs: list[str], summary: str | None, title: str | None,
                      page: _Page) -> tuple[list[str], str | None]:
    """The body without furniture, the date line and a repeated lead or title; and the
    summary, which becomes the printed lead when that was fuller than a cut meta
    description."""
    result = [p for p in (nfc(p).strip() for p in paragraphs) if p and not is_boilerplate(p)]
    # The date line under the title ("Thứ Hai, 4/12/2020 - 08:15") is metadata.
    head = [p for p in result[:3] if len(p) <= 60 and parse_date(p, page.tz)]
    result = [p for p in result if p not in head]
    # The lead must not open the text too (it does when the sapo sits inside the
    # content and came only from the meta description). A lead printed on the page
    # that the first paragraph merely *starts with* is a separate element: that
    # paragraph is the body's own (it repeats the lead and goes on).
    from_meta = LEAD_IN_PAGE not in page.notes
    while result and (_same_lead(result[0], summary, page, from_meta)
                      or (title and _fold(result[0]) == _fold(title))):
        if _same_lead(result[0], summary, page, from_meta) and from_meta:
            lead = strip_dateline(result[0], _prefixes(page))
            if len(lead) > len(summary or ""):
                summary = lead  # the meta description was the lead cut short
            page.notes.append(LEAD_IN_PAGE)
            from_meta = False
        result.pop(0)
    return result, summary


def _same_lead(paragraph: str, summary: str | None, page: _Page, prefix_ok: bool = True) -> bool:
    """``paragraph`` is the lead again: equal, a cut copy of it, or (``prefix_ok``, for a
    meta description that sites cut short) the full lead that the summary begins."""
    if not summary:
        return False
    a = _fold(strip_dateline(paragraph, _prefixes(page)))
    b = _fold(summary)
    if a == b:
        return True
    b = b.removesuffix("...").removesuffix("…").rstrip()  # a lead cut short by the site
    if len(b) <= 40:
        return False
    if b.startswith(a) and len(a) > 0.8 * len(b):
        return True
    return a.startswith(b) and (prefix_ok or len(a) <= 1.1 * len(b))


def _split_tail(paragraphs: list[str]) -> tuple[list[str], list[str], str | None]:
    """Byline, credit, photo-credit and attribution lines at the end of the body
    leave the text and become fields."""
    authors: list[str] = []
    attribution: str | None = None
    paragraphs = list(paragraphs)
    for _ in range(MAX_TAIL_CREDITS):
        if len(paragraphs) < 2:
            break
        last = paragraphs[-1]
        who = attribution_of(last)
        names = None if who else credit_authors(last)
        if who:
            attribution = attribution or who
        elif names:
            authors = names + authors
        elif photo_credit(last):
            pass  # a photo credit belongs to the picture, not to the authors
        elif is_caps_byline(last):
            authors = split_names(last) + authors
        elif not authors and is_name_line(last):
            authors = [last]
        else:
            break
        paragraphs.pop()
    return paragraphs, authors, attribution


# --- authors, image, language -----------------------------------------------------------

def _authors(page: _Page, visible: list[str], doc: object | None) -> list[str]:
    names: list[str] = []
    for obj in page.ld:
        if dom.ld_types(obj) & _ARTICLE_TYPES:
            names.extend(_ld_person_names(obj.get("author")))
    names.extend(visible)
    meta = page.meta("author", "article:author")
    if meta:
        names.extend(split_names(meta))
    sites = [s for s in (page.meta("og:site_name", "application-name", "apple-mobile-web-app-title"),
                         page.outlet.name if page.outlet else None,
                         getattr(doc, "sitename", None), urlsplit(page.url).hostname) if s]
    return clean_authors(names, sites)


def _ld_person_names(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and "Organization" not in dom.ld_types(item) and item.get("name"):
            names.append(str(item["name"]))
    return names


def _image_url(page: _Page, images: list[Image]) -> str | None:
    og = page.meta("og:image", "twitter:image")
    if og:
        return urljoin(page.url, og)
    return images[0].url if images else None


def _language(page: _Page, text: str, doc: object | None) -> str | None:
    lang = (page.tree.get("lang") or page.meta("content-language", "og:locale") or "").strip()
    if lang:
        return lang.replace("_", "-").split("-")[0].lower()
    if doc is not None and getattr(doc, "language", None):
        return doc.language
    # trafilatura needs an optional detector for this; Vietnamese is easy to spot.
    return "vi" if vietnamese_score(text[:2000]) > 20 else None
