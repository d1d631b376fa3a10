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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from itertools import islice
from urllib.parse import urljoin, urlsplit

from lxml import etree
from trafilatura import bare_extraction
from trafilatura.xml import xmltotxt

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
SOFT_HYPHEN = "\u00ad"
# Note on a record whose summary is the lead printed on the page (not only a meta
# description): summary + text is then the whole article as a reader sees it.
LEAD_IN_PAGE = "summary:in_page"
# Note on a record whose summary is a standfirst printed in the article's header: the
# lead as a field, not a part of the text (``full_text`` leaves it out).
LEAD_IN_HEADER = "summary:in_header"
# Above this many elements a page is pathological (real articles have a few thousand):
# trafilatura gets a copy without bare inline wrappers and without its fallback
# extractors and costlier options, and htmldate is not run. Every pass stays O(n), so
# the work is bounded by MAX_INPUT rather than by the page's shape.
MAX_THOROUGH_ELEMENTS = 20_000
# Inline wrappers that carry no structure any pass uses (links stay: link density is
# how trafilatura spots boilerplate); unwrapped when bare on a huge page.
_BARE_INLINE = ("span", "font", "small", "big", "u", "s", "abbr", "mark", "bdi", "bdo", "wbr")

_COMPRESSED_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd")
_ARTICLE_TYPES = {"NewsArticle", "Article", "BlogPosting", "ReportageNews",
                  "AnalysisNewsArticle", "Report", "WebPage"}
_SAPO_CSS = (".sapo, .summary, .lead, .article__sapo, .detail-sapo, .news_detail_sapo, "
             ".article-sapo, .chapeau, h2.sapo, h4.sapo, [itemprop=description]")
_CONTENT_CSS = ("#content-detail, .content-detail, [itemprop=articleBody], .article__body, "
                ".detail-content, .content-body, .news-content, .article-content, .entry-content")
_RIGHT = re.compile(r"text-align\s*:\s*right", re.I)
_CENTER = re.compile(r"text-align\s*:\s*center", re.I)
_UPDATED_PREFIX = re.compile(r"^\s*cập nhật", re.I)
_DATE_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


@dataclass
class _Page:
    """What the field functions share: the tree, its metadata and the outlet."""

    tree: etree._Element
    url: str
    source: str  # the page as parsed (NFC), for the guard's plain trafilatura
    outlet: Outlet | None
    tz: tzinfo
    metas: dict[str, list[str]]
    ld: list[dict]
    notes: list[str] = field(default_factory=list)
    elements: int = 0  # size of the tree as parsed
    date_candidates: list[etree._Element] | None = None  # computed once, on the intact tree
    captions: set[str] = field(default_factory=set)  # folded, as pulled out of the DOM
    noise: dom.NoiseMemo = field(default_factory=dict)  # ``dom.is_noise`` answers, each judged once
    _order: dict[etree._Element, int] | None = None
    _marked: list[tuple[etree._Element, str, str]] | None = None
    _h1: etree._Element | bool | None = None  # False: the page has none
    _index: dict[tuple[str, str], list[tuple[int, etree._Element]]] | None = None  # see ``select``
    crumb: etree._Element | None = None  # a breadcrumb h1 ("THỜI SỰ > Cần Thơ"), not the title

    def noisy(self, el: etree._Element) -> bool:
        return dom.is_noise(el, self.noise)

    def order(self) -> dict[etree._Element, int]:
        """Document order of the tree as parsed (elements are only removed afterwards)."""
        if self._order is None:
            self._order = dom.positions(self.tree)
        return self._order

    def h1(self) -> etree._Element | None:
        """The article's h1: the first one outside the noise regions, unless it is a
        breadcrumb or section heading (``_crumb_h1``) and a later h1 is the headline."""
        if self._h1 is None:
            self._h1 = _article_h1(self)
        return None if self._h1 is False else self._h1

    def marked(self, in_class: tuple[str, ...], in_id: tuple[str, ...] = ()) -> list[etree._Element]:
        """Attached elements whose class (or id) holds one of the words, case-folded, in
        document order. The class index is built once: an XPath ``translate`` per rule
        walked the whole tree each time (a tenth of our own time per page)."""
        if self._marked is None:
            self._marked = [(el, (el.get("class") or "").lower(), (el.get("id") or "").lower())
                            for el in self.tree.xpath("//*[@class or @id]")]
        # One regex search per attribute: an ``any`` over the words per element was a
        # tenth of our time per page.
        in_cls, in_ids = _any_word(in_class), _any_word(in_id)
        return [el for el, cls, id_ in self._marked
                if (in_cls.search(cls) or in_ids.search(id_)) and self.attached(el)]

    def select(self, css: str | None) -> list[etree._Element]:
        """``dom.select`` on the page's tree as it is now. A group of class, id, itemprop and
        rel selectors (the generic rules' sapo and content classes) is answered from an
        index of the tree as parsed, built once: each ``dom.select`` walked the whole tree
        (a tenth of our own time per page for four selections)."""
        group = dom.simple_group(css) if css else None
        if group is None or group.tags or any(attr not in _INDEXED_ATTRS for attr, _ in group.by_attr):
            return dom.select(self.tree, css)
        if self._index is None:
            index: dict[tuple[str, str], list[tuple[int, etree._Element]]] = {}
            for n, el in enumerate(self.tree.xpath("//*[@class or @id or @itemprop or @rel]")):
                get = el.get
                for c in (get("class") or "").split():
                    index.setdefault(("class", c), []).append((n, el))
                for attr in ("id", *_INDEXED_ATTRS):
                    value = get(attr)
                    if value:
                        index.setdefault((attr, value), []).append((n, el))
            self._index = index
        keys = [("class", c) for c in group.by_class] + [("id", i) for i in group.by_id] + list(group.by_attr)
        found = {n: el for key in keys for n, el in self._index.get(key, ())}
        return [el for _, el in sorted(found.items()) if group.matches(el) and self.attached(el)]

    def attached(self, el: etree._Element) -> bool:
        """Still in the tree (not inside a node that was cut out; lxml keeps a cut node in
        its document, so ``getroottree()`` cannot tell)."""
        top = el
        for top in el.iterancestors():
            pass
        return top is self.tree

    def in_order(self, elements: Iterable[etree._Element]) -> list[etree._Element]:
        order = self.order()
        return sorted(set(elements), key=lambda el: order.get(el, 0))

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


_NEVER = re.compile(r"(?!)")
_INDEXED_ATTRS = ("itemprop", "rel")


@lru_cache(maxsize=64)
def _any_word(words: tuple[str, ...]) -> re.Pattern[str]:
    """A regex finding any of ``words`` (literally) in a string; none: one that never matches."""
    return re.compile("|".join(map(re.escape, words))) if words else _NEVER


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
    html = nfc(html)
    tree = dom.parse(html)
    ld = dom.json_ld(tree)  # read before the scripts go
    dom.strip_tags(tree, ("script", "style", "noscript", "template"))
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_THOROUGH_ELEMENTS:
        # Unwrap attribute-less inline wrappers (their text stays): a pathological
        # page shrinks to its structure before any pass walks it. It still counts
        # as huge: what made it pathological (length, long lines) is still there.
        dom.unwrap_bare(tree, _BARE_INLINE)
    page = _Page(tree, url, html, outlet, outlet.tz if outlet else DEFAULT_TZ, dom.meta_map(tree), ld,
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
        # A standfirst set in the article's header (with the headline, in a "hero" block,
        # a "dek") is the summary but not the text's opening: plain trafilatura leaves the
        # header out, and so does the AEB gold (4 of our pages below plain there).
        page.notes.append(LEAD_IN_HEADER if _in_header(summary_node) else LEAD_IN_PAGE)
        dom.remove(summary_node)
    record.images = _pull_captions(page)
    dom_authors, dom_attribution = _pull_byline_nodes(page)
    _drop_promo_boxes(page)
    page.captions = {_fold(image.caption) for image in record.images if image.caption}
    paragraphs = _body(page, record.summary if summary_node is not None else None)
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
    record.title = record.title or _head_title(page)
    record.authors, agency = _authors(page, dom_authors + tail_authors)
    record.attribution = dom_attribution or tail_attribution or agency
    # The paper a story is taken from is named beside the byline too ("Thế Duyệt, Đời
    # sống Pháp luật"): it is the attribution, not an author.
    record.authors = [a for a in record.authors if not _same_name(a, record.attribution)]
    record.image_url = _image_url(page, record.images)
    record.language = _language(page, record.text)
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
    for el in page.select(page.selector("title"))[:1]:
        page.notes.append("selector:title")
        return dom.text_of(el) or None
    h1 = page.h1()
    heading = dom.text_of(h1) if h1 is not None else None
    agreed = _agreed_headline(page)
    if heading and agreed and _shared_words(heading, agreed) < TITLE_SHARED_WORDS:
        # The h1 is a breadcrumb or a section name ("TIN TỨC > Thời sự") while the
        # page's headline signals agree on another text: they name the article.
        page.notes.append("title:agreed_headline")
        return agreed
    return heading or page.meta("og:title", "twitter:title")


# An h1 sharing less than this share of its words with the agreed headline is not it.
TITLE_SHARED_WORDS = 0.5


def _article_h1(page: _Page) -> etree._Element | bool:
    h1s = [h for h in page.tree.iter("h1") if dom.text_of(h) and not page.noisy(h)]
    if not h1s:
        return False
    agreed = _agreed_headline(page)
    if agreed is None or _shared_words(dom.text_of(h1s[0]), agreed) >= TITLE_SHARED_WORDS:
        return h1s[0]
    for h1 in h1s[1:]:
        if _shared_words(dom.text_of(h1), agreed) >= TITLE_SHARED_WORDS:
            page.crumb = h1s[0]  # the first h1 named the section, the page's own headline follows
            return h1
    return h1s[0]


def _agreed_headline(page: _Page) -> str | None:
    """og:title when another headline signal (the JSON-LD headline or name, twitter:title)
    says the same (folded), else None."""
    og = page.meta("og:title")
    if not og or not og.strip():
        return None
    others = (page.ld_value("headline"), page.ld_value("name"), page.meta("twitter:title"))
    if any(isinstance(o, str) and _fold(nfc(o)) == _fold(og) for o in others):
        return " ".join(og.split())
    return None


def _shared_words(a: str, b: str) -> float:
    """The share of ``a``'s words that are in ``b``."""
    words, vocabulary = _words(a), set(_words(b))
    return sum(1 for w in words if w in vocabulary) / len(words) if words else 0.0


def _head_title(page: _Page) -> str | None:
    """The document's ``<title>``, the last resort for a page with no h1 or og:title."""
    title = page.tree.findtext(".//title")
    return " ".join(title.split()) or None if title else None


def _section(page: _Page, title: str | None) -> str | None:
    section = page.meta("article:section")
    crumb = _ld_breadcrumb(page, title)
    if section and "," in section:
        # Several sections ("Thể thao,World Cup 2026,Tin tức"): the one the breadcrumb
        # names, else the first.
        names = [n.strip() for n in section.split(",") if n.strip()]
        return crumb if crumb and crumb.casefold() in {n.casefold() for n in names} else names[0]
    if section or crumb:
        return section or crumb
    crumbs = [page.crumb] if page.crumb is not None else page.marked(("breadcrumb",))
    links = page.in_order(a for box in crumbs for a in box.iter("a"))
    names = [dom.text_of(a) for a in links]
    names = [n for n in names if n and n != title and not _is_home(n)]
    return names[-1] if names else None


def _ld_breadcrumb(page: _Page, title: str | None) -> str | None:
    """The last item of the JSON-LD breadcrumb that is neither home nor the article."""
    for obj in page.ld:
        if "BreadcrumbList" in dom.ld_types(obj):
            names = [_ld_item_name(i) for i in _flat(obj.get("itemListElement") or []) if isinstance(i, dict)]
            names = [n for n in names if n and n != title and not _is_home(n)]
            if names:
                return names[-1]
    return None


def _flat(items: object) -> list[object]:
    """A list with its nested lists opened: some CMSs write each ListItem in a list of its own."""
    if not isinstance(items, list):
        return [items]
    return [leaf for item in items for leaf in _flat(item)]


def _ld_item_name(item: dict) -> str | None:
    inner = item.get("item")
    name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
    return nfc(str(name)).strip() if name else None


def _is_home(name: str) -> bool:
    return name.casefold() in ("trang chủ", "home", "trang nhất")


def _tags(page: _Page) -> list[str]:
    raw = page.metas.get("article:tag") or []
    if not raw:
        tagged = [a for box in page.marked(("tag",)) for a in box.iter("a")
                  if any(w in (a.get("href") or "") for w in ("tag", "tu-khoa", "keyword"))]
        links = page.in_order([*page.tree.xpath("//a[@rel='tag']"), *tagged])
        h1 = page.h1()
        if h1 is not None:
            # Tag links above the headline are the site's trending hashtags, not the article's.
            order = page.order()
            links = [a for a in links if order.get(a, 0) > order.get(h1, 0)]
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
        if value and _DATE_ONLY.match(str(raw)):
            return _with_printed_time(page, value, source)
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


def _with_printed_time(page: _Page, day: datetime, source: str) -> tuple[datetime, str]:
    """A date-only structured value (midnight) with the time the page prints beside the
    title, when that printed date is the same day; else the day as it was."""
    for printed in (_date_element(page), _date_near_title(page), _same_day_time(page, day)):
        if printed and printed.astimezone(page.tz).date() == day.date() and printed.time() != day.time():
            return printed, f"{source}+page:time"
    return day, source


def _same_day_time(page: _Page, day: datetime) -> datetime | None:
    """The first date element anywhere, a share bar or a header included, that prints a
    time on ``day``: the same-day test is what keeps the "today" bar of another day out."""
    for el in page.in_order([*page.tree.iter("time"), *page.marked(("date", "time", "publish"), ("date",))]):
        text = el.get("datetime") or dom.text_of(el)
        value = parse_date(text, page.tz) if len(text) <= 200 else None
        if value and value.astimezone(page.tz).date() == day.date() and value.time() != day.time():
            return value
    return None


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
    for el in page.select(page.selector("date")):
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
    elements = page.in_order([*page.tree.iter("time"), *page.marked(("date", "time", "publish"), ("date",))])
    for el in elements:
        if el.tag in ("meta", "link") or page.noisy(el):
            continue
        if len(dom.text_of(el)) <= 200:
            found.append(el)
    return found


def _date_element(page: _Page) -> datetime | None:
    candidates = _date_candidates(page)
    if not candidates:
        return None
    h1 = page.h1()
    if h1 is not None:
        order = page.order()
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
    h1 = page.h1()
    if h1 is None:
        return None
    for el in islice(dom.following(h1), 12):
        text = dom.text_of(el)
        if len(text) > 150:
            break  # the lead or the body: dates in there are about events
        if not page.noisy(el) and not _UPDATED_PREFIX.match(text):
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
    node = next(iter(page.select(page.selector("summary"))), None)
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
    usual = [el for el in page.select(_SAPO_CSS) if _lead_like(page, el)]
    described = page.meta("og:description", "description", "twitter:description")
    if described:
        # The page's own lead says what its meta description says; a related box's
        # ``.summary`` says something else. Any class naming a sapo or a summary
        # ("the-article-summary") counts when it agrees. (AEB's gold leaves such a
        # standfirst out of the article, trafilatura's corpus wants it: 3 pages lower on
        # the one, 2 of 248 higher on the other; the printed lead is the article's.)
        named = page.marked(("sapo", "summary"))
        for el in page.in_order([*usual, *(el for el in named if _lead_like(page, el))]):
            if _agrees(dom.text_of(el), described):
                return el
    if usual:
        return usual[0]
    # A heading as the first child of the content container (Báo Lạng Sơn's h2), or
    # a first paragraph printed wholly in bold (Báo Cần Thơ's <p><strong>).
    for container in page.select(_CONTENT_CSS):
        first = next(iter(container.iterchildren(tag=etree.Element)), None)
        if first is None or len(dom.text_of(first)) < 40:
            continue
        if first.tag in ("h2", "h3", "h4") or (first.tag in ("p", "div") and _wholly_bold(first)):
            return first
    return None


_HEADER_CLASS = re.compile(r"(?:^|[\s_-])(?:hero|dek)|(?:hero|dek)(?:$|[\s_-])", re.IGNORECASE)
HEADER_DEPTH = 4  # the lead and its nearest ancestors


def _in_header(el: etree._Element) -> bool:
    """The element sits in the article's header: a ``<header>``, a "hero" block, a "dek"."""
    for node in islice((el, *el.iterancestors()), HEADER_DEPTH + 1):
        if node.tag == "header" or _HEADER_CLASS.search(node.get("class") or ""):
            return True
    return False


def _lead_like(page: _Page, el: etree._Element) -> bool:
    return (el.tag != "meta" and len(dom.text_of(el)) >= 30 and not page.noisy(el)
            and not _in_caption(el) and not _in_teaser(el))


def _agrees(text: str, described: str) -> bool:
    """The two open alike (a meta description is often the lead cut short)."""
    a, b = _fold(strip_dateline(text)), _fold(strip_dateline(described))
    n = min(len(a), len(b), 60)
    return n >= 30 and a[:n] == b[:n]


def _in_caption(el: etree._Element) -> bool:
    """Inside a figure or a caption: a picture's description is never the lead."""
    return any(a.tag in ("figure", "figcaption") or any("caption" in c for c in dom.classes(a))
               for a in (el, *el.iterancestors()))


def _in_teaser(el: etree._Element) -> bool:
    """Inside the card of another article (a list item or an ``<article>`` that links
    elsewhere and holds no h1): its ``.summary`` is that article's lead, not ours."""
    for anc in el.iterancestors("article", "li"):
        if anc.find(".//h1") is None and anc.xpath(".//a[@href and not(starts-with(@href, '#'))]"):
            return True
    return False


def _wholly_bold(el: etree._Element) -> bool:
    bold = " ".join(dom.text_of(b) for b in el.iter("strong", "b") if b.getparent() is not None)
    return " ".join(bold.split()) == dom.text_of(el)


def _pull_captions(page: _Page) -> list[Image]:
    """Captioned images out of the DOM, before trafilatura sees them: figures,
    image tables (``td.caption``), and an image followed by a centred or italic
    short line. Removing them is what keeps captions out of ``text``."""
    images: list[tuple[int, Image]] = []
    tree = page.tree
    order = page.order()
    for fig in list(tree.iter("figure")):
        cap = fig.find(".//figcaption")
        # Uncaptioned figures are mostly teaser thumbnails of other stories.
        if cap is not None and not page.noisy(fig):
            _add_image(images, fig, page.url, dom.text_of(cap), order)
            dom.remove(fig)
    for table in list(tree.iter("table")):
        if _is_image_table(table, page):
            _add_image(images, table, page.url, _table_caption(table), order)
            dom.remove(table)
    for img in list(tree.iter("img")):
        if img.getparent() is None or page.noisy(img):
            continue
        caption_node, caption = _caption_after(img)
        if caption_node is not None:
            _add_image(images, img, page.url, caption, order)
            dom.remove(caption_node)
    for el in list(tree.iter("p", "div")):
        # A centred, wholly italic short line with no image is the caption of a picture
        # the page did not (or lazily) include: not prose, and no image to give it to.
        if (el.getparent() is not None and el.find(".//img") is None and _is_orphan_caption(el)
                and not page.noisy(el)):
            dom.remove(el)
    for el in page.marked(("caption",)):
        if page.attached(el) and not page.noisy(el):
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


def _is_image_table(table: etree._Element, page: _Page) -> bool:
    return (table.find(".//img") is not None and table.find(".//table") is None
            and len(dom.text_of(table)) <= MAX_CAPTION_CHARS and not _data_table(table)
            and not page.noisy(table))


# An image table holds a picture and its caption: a row or two of text. More rows of
# text, or header cells, make a data table whose cells carry icons (a platform matrix).
IMAGE_TABLE_TEXT_ROWS = 2


def _data_table(table: etree._Element) -> bool:
    if table.find(".//th") is not None:
        return True
    return sum(1 for row in table.iter("tr") if dom.text_of(row)) > IMAGE_TABLE_TEXT_ROWS


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
    selected = page.select(page.selector("author"))
    if selected:
        page.notes.append("selector:author")
    candidates = selected + [
        el for el in page.tree.iter("p", "div")
        if _RIGHT.search(el.get("style") or "") or (el.get("align") or "").lower() == "right"
    ] + page.in_order([*page.select("[rel=author], [itemprop=author]"),
                       # "author", "author-name", "article-author", "author-in-player", "byline"
                       *page.marked(("author", "byline"))])
    source = _source_box(page)
    if source is not None:
        attribution = source
    for el in candidates:
        text = dom.text_of(el)
        if el.getparent() is None or not text or len(text) > 80 or (el not in selected and page.noisy(el)):
            continue
        who = attribution_of(text)
        if who:
            attribution = attribution or who
        elif photo_credit(text):
            continue
        else:
            names = credit_authors(text) or split_names(re.sub(r"^(?:tác giả|tg)\s*:\s*", "", text, flags=re.I))
            # A link label of the author box ("Xem các bài viết của tác giả") is no name.
            authors.extend(n for n in names if _capitalised(n))
        dom.remove(el)
    return authors, attribution


def _capitalised(name: str) -> bool:
    """At least half of the words start with a capital, as names do in the corpora's scripts."""
    words = [w for w in name.split() if w[:1].isalpha()]
    return not words or 2 * sum(w[0].isupper() for w in words) >= len(words)


_SOURCE_LEAD = re.compile(r"^(?:theo|nguồn\s*:?|source\s*:|quelle\s*:)$", re.IGNORECASE)


def _source_box(page: _Page) -> str | None:
    """The name in a source box ("Theo <span>tienphong.vn</span>"): an element whose class
    names a source, whose own text is the lead-in and whose first child is the name. The
    rest of such a box (a copy-link button, the original URL) is not read."""
    for el in page.marked(("source", "nguon")):
        first = next(el.iterchildren(tag=etree.Element), None)
        if first is None or not _SOURCE_LEAD.match((el.text or "").strip()) or page.noisy(el):
            continue
        name = dom.text_of(first)
        if 2 <= len(name) <= MAX_SOURCE_CHARS:
            page.notes.append("attribution:source_box")
            return name
    return None


MAX_SOURCE_CHARS = 60


# "You may also like" boxes set inside the article: a heading of this kind and the
# links under it. Headings only, in the corpora's languages and Vietnamese.
_PROMO_HEADING = re.compile(
    r"^(?:bạn có thể quan tâm|có thể bạn quan tâm|xem nhiều|đọc nhiều|tin xem nhiều|tin đọc nhiều"
    r"|tin nổi bật|tin mới(?: nhất)?|(?:tin )?cùng chuyên mục|tin liên quan|bài liên quan|đọc thêm"
    r"|xem thêm|you (?:may|might) also like|recommended(?: for you)?|related(?: articles| stories| posts)?"
    r"|most (?:read|popular)|more stories|read more|mehr zum thema|lesen sie auch|das könnte sie auch interessieren"
    r"|à lire aussi|lire aussi|voir aussi|le plus lu|leggi anche|lee también)\s*:?$",
    re.I,
)
_HEADING_TAGS = ("h2", "h3", "h4", "h5", "h6", "p", "div", "span", "strong", "b")
PROMO_MAX_CHARS = 1500  # a box is small; anything bigger is (part of) the article
PROMO_LINK_SHARE = 0.5  # and made of links


def _drop_promo_boxes(page: _Page) -> None:
    """Remove each promo box: the largest small block of links around a promo heading."""
    # Only elements whose own first text is the heading: one O(n) pass over text nodes.
    headings = [el for el in page.tree.iter(_HEADING_TAGS)
                if el.text and len(el.text) <= 40 and _PROMO_HEADING.match(el.text.strip())]
    for heading in headings:
        text = dom.text_of(heading)
        if heading.getparent() is None or not _PROMO_HEADING.match(text):
            continue
        box = None
        for anc in heading.iterancestors():
            if (anc.tag in ("body", "html") or anc.find(".//h1") is not None
                    or len(dom.text_of(anc)) > PROMO_MAX_CHARS or _link_share(anc, len(text)) < PROMO_LINK_SHARE):
                break
            box = anc
        if box is not None:
            page.notes.append("body:promo_box")
            dom.remove(box)


def _link_share(el: etree._Element, heading_chars: int) -> float:
    """The share of ``el``'s text (its heading left out) that is link text."""
    total = len(dom.text_of(el)) - heading_chars
    links = sum(len(dom.text_of(a)) for a in el.iter("a"))
    return links / total if total > 0 else 0.0


# --- body -----------------------------------------------------------------------------

def _body(page: _Page, lead: str | None) -> list[str]:
    node = next(iter(page.select(page.selector("body"))), None)
    if node is not None:
        page.notes.append("selector:body")
        return _guarded(page, dom.block_paragraphs(node), lead, "selector", estimate=[])
    thorough = not page.huge
    if not thorough:
        page.notes.append("body:huge_page")
    # One trafilatura pass with its default focus, as plain trafilatura runs it (its
    # recall); our own filter (``_filtered_lines``) then drops the link lines, cards and
    # copies it kept (our precision). trafilatura's favor_precision had the precision but
    # dropped short lines inside the article on many pages, which plain keeps.
    # trafilatura's metadata pass never runs: every field it would give is ours. No copy
    # of ours: bare_extraction copies a tree it is given before touching it.
    doc = bare_extraction(page.tree, url=page.url, with_metadata=False, fast=not thorough,
                          include_tables=True, include_comments=False, include_images=False,
                          deduplicate=False)
    filtered = _filtered_lines(doc, page)
    paragraphs = filtered.lines
    source = "trafilatura"
    container = _content_container(page)
    if container is not None and paragraphs and not _mostly_inside(paragraphs, container):
        # trafilatura took its text from outside the article's own container (a
        # related list when the lead is the only prose): the container may be right.
        paragraphs, source = dom.block_paragraphs(container), "container"
    elif not paragraphs:
        # trafilatura gave up (too little text for its heuristics): read the
        # usual content containers directly.
        for container in page.select(_CONTENT_CSS + ", article"):
            paragraphs, source = dom.block_paragraphs(container), "container"
            if paragraphs:
                break
    if source == "trafilatura":
        return _guarded_filter(page, filtered, lead)
    return _guarded(page, paragraphs, lead, source, estimate=_page_prose(page))


def _guarded_filter(page: _Page, filtered: _Filtered, lead: str | None) -> list[str]:
    """The guard on trafilatura's own result. Our filter keeps at least ``GUARD_SHORT`` of
    trafilatura's words, or trafilatura's lines stand as they came. A result without one
    line of prose next to a printed lead is a brief whose text is its lead. A short result
    is checked as any other (``_guarded``): on our tree (without the sapo, the captions,
    the bylines) trafilatura sometimes takes another region than on the page as it came
    (a browser warning, a share bar), which plain trafilatura then shows."""
    paragraphs, prose = filtered.lines, filtered.prose
    ours = len(_words(" ".join([lead or "", *paragraphs])))
    theirs = len(_words(" ".join(filtered.unfiltered)))
    if ours < GUARD_SHORT * theirs:
        page.notes.append("guard:unfiltered")
        paragraphs, prose = filtered.unfiltered, filtered.any_prose
        ours = len(_words(" ".join([lead or "", *paragraphs])))
    if not prose and lead:
        # Not one line of prose once the printed lead is out of the tree: what
        # trafilatura's rescue passes found is the menu and the date line of a brief
        # whose text is its lead (``text:summary_only``).
        page.notes.append("body:no_prose")
        return []
    if ours >= GUARD_TRUSTED_WORDS:
        return paragraphs
    # The page's own prose outside its noise regions decides whether plain trafilatura
    # must be asked.
    return _guarded(page, paragraphs, lead, "trafilatura", estimate=_page_prose(page))


# The guard (never worse than plain trafilatura): a result of this many words or more
# that trafilatura itself chose is trusted as it is; anything shorter, or read from a
# selector or a container, is checked against plain trafilatura on the untouched page.
GUARD_TRUSTED_WORDS = 400
# Ours yields when it holds less than this share of plain trafilatura's words (read
# without the noise regions): a container that held one box, a filter that cut
# the article short.
GUARD_SHORT = 0.25
# A selector's result yields only when it is next to nothing.
GUARD_NOTHING_WORDS = 15
# Below this many words of prose outside the noise regions our tree is no estimate of the
# article (the post sits in a <noscript>, a template or a script-built block): plain
# trafilatura on the page as it came is asked.
GUARD_ESTIMATE_WORDS = 50
# A shorter result that shares less than this share of its word 4-grams with plain
# trafilatura's is another region of the page (a blog's header, a share bar): plain's stands.
GUARD_SHARED = 0.5
# A line of this many words is prose; shorter ones at the edges are page furniture.
GUARD_PROSE_WORDS = 12


def _guarded(page: _Page, paragraphs: list[str], lead: str | None, source: str,
             estimate: list[str]) -> list[str]:
    """``paragraphs``, unless plain trafilatura on the untouched page holds them and much
    more prose, or ours is next to nothing: then trafilatura's prose, noted as
    ``guard:trafilatura_over_<source>`` (the lead, when printed, stays ours).

    Plain trafilatura costs a whole extraction, so it runs only when a cheap estimate
    cannot clear ours: ``estimate`` is the prose of our own tree outside its noise regions
    (``_page_prose``); ours is clear when it holds a fair share of it."""
    ours = _words(" ".join([lead or "", *paragraphs]))
    if len(ours) >= (GUARD_NOTHING_WORDS if source == "selector" else GUARD_TRUSTED_WORDS):
        return paragraphs
    guess = len(_words(" ".join(estimate)))
    if guess >= GUARD_ESTIMATE_WORDS and len(ours) >= GUARD_SHORT * guess:
        return paragraphs
    reference = _plain_trafilatura(page, without_noise=True)
    theirs = _words(" ".join(reference))
    if len(theirs) < GUARD_NOTHING_WORDS:
        # A class name that means noise elsewhere (``widget``) wraps the whole article
        # on some templates, leaving next to nothing: then the page as it came is the reference.
        reference = _plain_trafilatura(page, without_noise=False)
        theirs = _words(" ".join(reference))
    if len(ours) >= GUARD_SHORT * len(theirs) and (len(theirs) <= len(ours) or _overlap(ours, theirs) >= GUARD_SHARED):
        return paragraphs
    # An outlet's selector is curated and measured on its gold pages, where plain
    # trafilatura takes the related lists too: it yields only when it found nothing.
    # Anything else yields to four times its size of text read outside the noise regions,
    # whether it is a part of that text (a fragment) or not (another box of the page).
    if source != "selector" or len(ours) < GUARD_NOTHING_WORDS:
        page.notes.append(f"guard:trafilatura_over_{source}")
        return reference
    return paragraphs


def _overlap(ours: list[str], theirs: list[str]) -> float:
    """The share of ``ours``'s word 4-grams that are in ``theirs``."""
    mine = {tuple(ours[k:k + 4]) for k in range(len(ours) - 3)}
    other = {tuple(theirs[k:k + 4]) for k in range(len(theirs) - 3)}
    return len(mine & other) / len(mine) if mine else 1.0


def _prose_span(lines: list[str]) -> list[str]:
    """``lines`` from the first paragraph of prose to the last: the menus, breadcrumbs and
    date lines that plain trafilatura keeps around an article on some templates go."""
    prose = [i for i, line in enumerate(lines) if len(line.split()) >= GUARD_PROSE_WORDS]
    return lines[prose[0]:prose[-1] + 1] if prose else []


def _plain_trafilatura(page: _Page, without_noise: bool) -> list[str]:
    """trafilatura's lines with its defaults on the page as it came, before our DOM
    surgery; ``without_noise``, also without the regions that are never the article
    (menus, related boxes, sidebars, footers: ``dom.is_noise``): on the templates where
    plain trafilatura takes a related list, that list would otherwise win the comparison."""
    # Parsed again, and with its <noscript> and <template> (which we strip): some
    # blogs serve the whole post in one of them.
    tree = dom.parse(page.source)
    if without_noise:
        dom.drop_noise(tree)
    try:
        doc = bare_extraction(tree, url=page.url, with_metadata=False, fast=page.huge,
                              include_tables=True, include_comments=False, include_images=False)
    except Exception:  # noqa: BLE001 - the guard must never fail a page ours extracted
        return []
    # Captions we pulled out of the DOM stay out of the text, whoever finds them.
    return _prose_span([line for line in _lines(doc) if _fold(line) not in page.captions])


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


_UNIT_TAGS = ("p", "head", "quote", "item", "table", "code")


def _units(body: etree._Element) -> list[etree._Element]:
    """The elements of trafilatura's output that become lines: list items, and every
    other top-level block (a table is judged whole)."""
    units = []
    for el in body.iter(_UNIT_TAGS + ("list",)):
        if el.tag == "list":
            continue
        if any(a.tag in ("table", "item", "p", "quote", "head", "code") for a in el.iterancestors()):
            continue
        units.append(el)
    return units


@dataclass
class _Unit:
    el: etree._Element
    text: str
    words: int
    link_chars: int = 0  # without white space, like ``compact``
    link_words: int = 0
    first_link: str = ""  # the text of its first link
    links: int = 0
    block: etree._Element | None = None  # the block of our tree it was matched with

    @property
    def share(self) -> float:
        compact = len(_compact(self.text))
        return self.link_chars / compact if compact else 0.0


def _compact(text: str) -> str:
    return "".join(text.split())


LINK_BLOCK_LEVELS = 2  # block ancestors of a link's own block that hold it too


def _link_index(page: _Page) -> dict[str, _Unit]:
    """The links of every block of our tree that holds any, keyed by the block's text
    without white space: what a block of trafilatura's output with that text holds.
    trafilatura is called without links (with them it splits some paragraphs at a link and
    glues the link to the next word), so the links are read here. Texts are read by lxml
    (``text_content``): the keys are compared without white space anyway."""
    blocks: dict[etree._Element, list[str]] = {}
    for a in page.tree.iter("a"):
        text = " ".join(a.text_content().split())
        if not text:
            continue
        # The nearest blocks around the link: trafilatura's block may be a list item
        # or a card around the link's own paragraph or heading.
        for inner in a.iterdescendants(*dom.BLOCK_TAGS):  # <a><h3>headline</h3></a>
            blocks.setdefault(inner, []).append(" ".join(inner.text_content().split()))
        found = 0
        for block in a.iterancestors():
            if block.tag in ("body", "html"):
                break
            if block.tag in dom.BLOCK_TAGS:
                blocks.setdefault(block, []).append(text)
                found += 1
                if found > LINK_BLOCK_LEVELS:
                    break
    index: dict[str, _Unit] = {}
    for block, links in blocks.items():
        key = _compact(block.text_content())
        if key not in index:
            index[key] = _Unit(block, "", 0, sum(len(_compact(t)) for t in links),
                               sum(len(t.split()) for t in links), links[0], len(links))
    return index


def _unit(el: etree._Element, links: dict[str, _Unit]) -> _Unit:
    text = " ".join("".join(el.itertext()).split())
    known = links.get(_compact(text))
    if known is None:
        return _Unit(el, text, len(text.split()))
    return _Unit(el, text, len(text.split()), known.link_chars, known.link_words, known.first_link,
                 known.links, known.el)


# A line this much link text is a link line: a teaser's headline, "back to the list".
LINK_LINE_SHARE = 0.9
LINK_LINE_WORDS = 20  # longer link lines are linked prose (a deal's description)
LINK_RUN = 3  # this many link lines in a row are a list of other stories
LINK_LIST_LINKS = 3  # a line of this many links and nothing else is a list (tags), whatever its length
SEE_ALSO_PREFIX_WORDS = 4  # "Read more:", "Czytaj też:", "[Related:"
SEE_ALSO_LINK_WORDS = 4  # the other story's headline
_SEE_ALSO_LEAD = re.compile(r"^[\[(>»]|^\D*:\s*$")


def _link_line(u: _Unit) -> bool:
    return (u.share >= LINK_LINE_SHARE and (u.words <= LINK_LINE_WORDS or u.links >= LINK_LIST_LINKS)
            and not u.text.endswith(".") and not u.text.startswith(("http://", "https://")))


# A block this long whose word 4-grams are (nearly) all in the other blocks is a copy
# of them (a hidden or flattened second copy of the article).
COPY_WORDS = 50
COPY_SHARE = 0.8


def _repeats(units: list[_Unit]) -> set[int]:
    """Long blocks made of the other blocks' text (a flattened second copy of the
    article), the largest judged first so that the copy goes and the original stays.
    Short lines that repeat are left alone: lists of features and tables repeat on purpose."""
    drop: set[int] = set()
    long = sorted((i for i, u in enumerate(units) if u.words >= COPY_WORDS), key=lambda i: -units[i].words)
    if not long:
        return drop
    grams = [_grams(u.text) for u in units]
    for i in long:
        others: set = set()
        for j, g in enumerate(grams):
            if j != i and j not in drop:
                others |= g
        if grams[i] and len(grams[i] & others) >= COPY_SHARE * len(grams[i]):
            drop.add(i)
    return drop


def _grams(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[k:k + 4]) for k in range(len(words) - 3)}


TEASER_SHARE = 0.25  # a card's linked headline is at least this share of it
TEASER_HEADLINE_WORDS = 3


def _teaser(u: _Unit) -> bool:
    """A card of another story: it opens with a linked headline and goes on with a blurb."""
    return (u.share >= TEASER_SHARE and len(u.first_link.split()) >= TEASER_HEADLINE_WORDS
            and _compact(u.text).startswith(_compact(u.first_link)))


def _see_also(u: _Unit) -> bool:
    """A label and a link to another story: "Read more: <headline>"."""
    if u.link_words < SEE_ALSO_LINK_WORDS or u.share < 0.6:
        return False
    if u.block is None:
        return False
    text = dom.text_of(u.block)
    at = text.find(u.first_link)
    lead = text[:at].strip() if at > 0 else ""
    return bool(lead) and len(lead.split()) <= SEE_ALSO_PREFIX_WORDS and bool(_SEE_ALSO_LEAD.search(lead))


def _shouted_link(u: _Unit) -> bool:
    if not _link_line(u):
        return False
    letters = [c for c in u.text if c.isalpha()]
    return len(letters) >= 10 and sum(c.isupper() for c in letters) > 0.8 * len(letters)


@dataclass
class _Filtered:
    lines: list[str]  # without what the filter dropped
    unfiltered: list[str]  # trafilatura's lines as they came
    prose: bool  # a kept block is prose (not a heading, GUARD_PROSE_WORDS words or more)
    any_prose: bool  # the same among all of trafilatura's blocks


def _filtered_lines(doc: object | None, page: _Page) -> _Filtered:
    """trafilatura's lines (default options: plain's recall), without what is demonstrably
    not the article: link lines at the edges and in runs, "see also" lines and shouted
    link lines (calls to action), trailing headings."""
    body = getattr(doc, "body", None)
    if body is None:
        return _Filtered([], [], False, False)
    links = _link_index(page)
    units = [_unit(el, links) for el in _units(body)]
    drop: set[int] = set()
    for order in (range(len(units)), range(len(units) - 1, -1, -1)):
        edge = []
        for i in order:
            if not (_link_line(units[i]) or _teaser(units[i])):
                break
            edge.append(i)
        # Link lines at an edge go; cards (a linked headline and its blurb) only as a list.
        teasers = sum(1 for i in edge if not _link_line(units[i]))
        drop.update(edge if not teasers or len(edge) >= LINK_RUN else
                    [i for i in edge[:next(k for k, i in enumerate(edge) if not _link_line(units[i]))]])
    run: list[int] = []
    for i, u in enumerate([*units, None]):
        if u is not None and _link_line(u):
            run.append(i)
            continue
        if len(run) >= LINK_RUN:
            drop.update(run)
        run = []
    drop.update(i for i, u in enumerate(units) if _see_also(u) or _shouted_link(u))
    drop.update(_repeats(units))
    kept = [i for i in range(len(units)) if i not in drop]
    while kept and units[kept[-1]].el.tag == "head":
        drop.add(kept.pop())
    # The headline is no prose, whatever trafilatura made of it.
    h1 = page.h1()
    headings = {u.text for u in units if u.el.tag == "head"} | ({dom.text_of(h1)} if h1 is not None else set())

    def prose(lines: list[str]) -> bool:
        return any(len(line.split()) >= GUARD_PROSE_WORDS and line not in headings for line in lines)

    unfiltered = _text_lines(body)
    if not drop:
        return _Filtered(unfiltered, unfiltered, prose(unfiltered), prose(unfiltered))
    for i in drop:
        el = units[i].el
        if el.getparent() is not None:
            el.getparent().remove(el)
    page.notes.append("body:filtered")
    lines = _text_lines(body)
    return _Filtered(lines, unfiltered, prose(lines), prose(unfiltered))


def _text_lines(body: etree._Element) -> list[str]:
    return [" ".join(line.split()) for line in xmltotxt(body, False).splitlines() if line.strip()]


def _lines(doc: object | None) -> list[str]:
    lines = (doc.text or "").splitlines() if doc is not None else []
    return [" ".join(line.split()) for line in lines if line.strip()]


def _page_prose(page: _Page) -> list[str]:
    """The prose paragraphs of the page outside its noise regions, read from our own tree:
    the guard's estimate of the article, read only for a short result (a second
    trafilatura pass gave about the same lines at the cost of a whole extraction)."""
    body = page.tree.find("body")
    lines = dom.block_lines(body if body is not None else page.tree)
    return [line.text for line in lines
            if not page.noisy(line.block) and len(line.text.split()) >= GUARD_PROSE_WORDS]


def _content_container(page: _Page) -> etree._Element | None:
    for el in page.select(_CONTENT_CSS):
        if not page.noisy(el):
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
    # Soft hyphens (``&shy;``) are hyphenation hints, invisible on the page: a word keeps
    # its letters only (plain trafilatura, reading the bytes, drops them too).
    result = [p for p in (nfc(p).replace(SOFT_HYPHEN, "").strip() for p in paragraphs)
              if p and not is_boilerplate(p)]
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

def _authors(page: _Page, visible: list[str]) -> tuple[list[str], str | None]:
    """(authors, agency): every byline the page gives, cleaned; a news agency named as
    an author (a JSON-LD Person "TTXVN", "Name/dpa") is the story's attribution."""
    names: list[str] = []
    for obj in page.ld:
        if dom.ld_types(obj) & _ARTICLE_TYPES:
            names.extend(_ld_person_names(obj.get("author")))
    names.extend(visible)
    meta = page.meta("author", "article:author")
    if meta:
        names.append(meta)
    sites = [s for s in (page.meta("og:site_name", "application-name", "apple-mobile-web-app-title"),
                         _ld_publisher(page), page.outlet.name if page.outlet else None,
                         urlsplit(page.url).hostname) if s]
    return clean_authors(names, sites)


def _same_name(name: str, other: str | None) -> bool:
    return other is not None and _fold(name) == _fold(other)


def _ld_publisher(page: _Page) -> str | None:
    publisher = page.ld_value("publisher")
    publisher = publisher[0] if isinstance(publisher, list) and publisher else publisher
    name = publisher.get("name") if isinstance(publisher, dict) else publisher
    return str(name) if isinstance(name, str) and name.strip() else None


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


def _language(page: _Page, text: str) -> str | None:
    lang = (page.tree.get("lang") or page.meta("content-language", "og:locale") or "").strip()
    if lang:
        return lang.replace("_", "-").split("-")[0].lower()
    # trafilatura needs an optional detector for this; Vietnamese is easy to spot.
    return "vi" if vietnamese_score(text[:2000]) > 20 else None
