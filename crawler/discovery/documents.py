"""Pure parsers for the discovery routes: feeds, sitemaps and listing pages.

All untrusted XML goes through one lxml parser with entity resolution, DTD
loading, network access and huge trees turned off, after a size check
(an XML bomb or an external entity never gets parsed). A document that is not well-formed (an unclosed tag, a
control character, a truncated end) is parsed again in libxml2's recover mode, with
the same protections: a feed with one broken item still yields the others.

lxml is used rather than feedparser because feedparser resolves nothing we need
beyond what a dozen lines of XPath give, and we want one hardened parser for feeds
and sitemaps alike.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml import etree, html

from crawler.extraction import parse_date

MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit

_SAFE_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    remove_comments=True, remove_pis=True,
)
_RECOVERING_XML = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
    remove_comments=True, remove_pis=True, recover=True,
)
# libxml2 refusing a document to protect itself (an entity bomb, an entity loop): a
# refusal, not a malformation, so it is never retried in recover mode.
_REFUSALS = frozenset({etree.ErrorTypes.ERR_RESOURCE_LIMIT, etree.ErrorTypes.ERR_ENTITY_LOOP})
_NEXT_LABELS = ("trang sau", "tiếp", "sau »", "»", "next", "›")


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be used; ``reason`` is a short code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    """An article URL found by a route, with what the route said about it."""

    url: str
    published: datetime | None = None
    title: str | None = None


@dataclass(frozen=True)
class Feed:
    entries: list[Entry]
    # Why the document was not well-formed, when recover mode had to read it.
    recovered: str | None = None


@dataclass(frozen=True)
class Sitemap:
    urls: list[Entry]
    children: list[str]  # nested sitemaps of a sitemap index
    recovered: str | None = None


def gunzip_capped(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Inflate a gzip body (a ``.xml.gz`` sitemap served without Content-Encoding),
    stopping at ``limit`` output bytes so a bomb costs at most that much memory."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise DiscoveryError("bad_gzip", f"corrupt gzip data: {exc}") from None
    if len(out) > limit:
        raise DiscoveryError("too_large", f"inflates past {limit} bytes")
    if not inflater.eof:
        raise DiscoveryError("bad_gzip", "gzip data ends before its stream does (truncated)")
    return out


def parse_xml(body: bytes) -> tuple[etree._Element, str | None]:
    """The document's root, and why it was not well-formed when recover mode read it."""
    if body[:2] == b"\x1f\x8b":
        body = gunzip_capped(body)
    if len(body) > MAX_XML_BYTES:
        raise DiscoveryError("too_large", f"XML of {len(body)} bytes exceeds {MAX_XML_BYTES}")
    if not body.strip():
        raise DiscoveryError("empty", "empty XML document")
    try:
        return etree.fromstring(body, parser=_SAFE_XML), None
    except etree.XMLSyntaxError as exc:
        error = exc
    if error.code in _REFUSALS:
        raise DiscoveryError("not_xml", f"refused by the XML parser: {error}")
    try:
        root = etree.fromstring(body, parser=_RECOVERING_XML)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise DiscoveryError("not_xml", f"not well-formed XML: {error}")
    return root, str(error)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(node: etree._Element, *names: str) -> str | None:
    for child in node:
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def _rfc822_or_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return parsed if parsed.tzinfo else None


def parse_feed(body: bytes, base_url: str) -> Feed:
    """Entries of an RSS 2.0, RSS 1.0 or Atom feed."""
    root, recovered = parse_xml(body)
    kind = _local(root.tag)
    if kind not in ("rss", "RDF", "feed"):
        raise DiscoveryError("not_feed", f"root element <{kind}> is not a feed")
    entries = []
    for node in root.iter():
        name = _local(node.tag)
        if name == "item":
            link = _child_text(node, "link") or _child_text(node, "guid")
            date = _child_text(node, "pubDate", "date")
        elif name == "entry":
            link = _atom_link(node)
            date = _child_text(node, "published", "updated")
        else:
            continue
        if link:
            entries.append(Entry(urljoin(base_url, link), _rfc822_or_iso(date), _child_text(node, "title")))
    return Feed(entries, recovered)


def _atom_link(entry: etree._Element) -> str | None:
    for child in entry:
        if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
            return child.get("href")
    return None


def parse_sitemap(body: bytes, base_url: str) -> Sitemap:
    """A urlset (with Google News dates) or a sitemap index."""
    root, recovered = parse_xml(body)
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise DiscoveryError("not_sitemap", f"root element <{kind}> is not a sitemap")
    urls, children = [], []
    # Every <url>/<sitemap> at any depth: recover mode nests the entry after an
    # unclosed one inside it.
    entry = "sitemap" if kind == "sitemapindex" else "url"
    for node in (n for n in root.iter() if _local(n.tag) == entry):
        loc = _child_text(node, "loc")
        if not loc:
            continue
        loc = urljoin(base_url, loc)
        if kind == "sitemapindex":
            children.append(loc)
            continue
        news = next((c for c in node if _local(c.tag) == "news"), None)
        date = _child_text(news, "publication_date") if news is not None else None
        title = _child_text(news, "title") if news is not None else None
        urls.append(Entry(loc, _rfc822_or_iso(date or _child_text(node, "lastmod")), title))
    return Sitemap(urls, children, recovered)


def listing_entries(body: str, base_url: str, is_article: Callable[[str], bool],
                    tz: tzinfo | None = None) -> list[Entry]:
    """Article links of a listing page, each with the date printed in its own item.

    An item is the largest element around a link that links to no other article, so
    a date is never borrowed from a neighbouring item or from the page header.
    """
    if not body.strip():
        return []
    doc = html.fromstring(body, base_url=base_url)
    entries: dict[str, Entry] = {}
    for anchor in doc.xpath("//a[@href]"):
        url = urljoin(base_url, anchor.get("href").strip())
        if not is_article(url):
            continue
        item = _item_container(anchor, url, base_url, is_article)
        date = parse_date(item.text_content(), tz) if item is not anchor else None
        if url not in entries or (date and not entries[url].published):
            entries[url] = Entry(url, date)
    return list(entries.values())


def _item_container(anchor: html.HtmlElement, url: str, base_url: str,
                    is_article: Callable[[str], bool]) -> html.HtmlElement:
    item = anchor
    for parent in anchor.iterancestors():
        links = {urljoin(base_url, h.strip()) for h in parent.xpath(".//a/@href")}
        if any(is_article(link) and link != url for link in links):
            break
        item = parent
    return item


def next_page_link(body: str, base_url: str) -> str | None:
    """The listing's "next page" link: ``rel=next`` or a "Trang sau"-style label."""
    if not body.strip():
        return None
    doc = html.fromstring(body, base_url=base_url)
    for href in doc.xpath("//link[@rel='next']/@href | //a[@rel='next']/@href"):
        return urljoin(base_url, href)
    for anchor in doc.xpath("//a[@href]"):
        label = " ".join(anchor.text_content().split()).casefold()
        if label in _NEXT_LABELS:
            return urljoin(base_url, anchor.get("href"))
    return None



def feed_links(body: str, base_url: str) -> list[str]:
    """Feeds a page advertises with ``<link rel="alternate" type="application/rss+xml">``."""
    if not body.strip():
        return []
    doc = html.fromstring(body, base_url=base_url)
    xpath = "//link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@href"
    return [urljoin(base_url, href.strip()) for href in doc.xpath(xpath)]
