"""What a gold page itself states, read straight from its markup for the builders.

Used by ``_build_*.py`` to write the page-level fields of the expected JSON
(``canonical_url``, ``image_url``, ``language``, ``published_at_source``) and to check
that a page states no modified time. It reads the HTML with lxml and applies the
README's URL rules (``crawler.core.urls.canonical_url``); it never calls
``crawler.extraction``, so the gold cannot be tuned to the extractor's output.

Rules of truth (the same for every gold page):

- ``canonical_url``: the page's ``link[rel=canonical]``, else its ``og:url``, resolved
  against the fetched URL and canonicalised; without either, the fetched URL canonicalised;
- ``image_url``: the page's ``og:image`` (resolved); without one, the first ``<img>`` of
  the article container the builder names (the lead image), resolved; else null;
- ``language``: the primary subtag of ``<html lang>``, else of ``og:locale``; a page that
  declares neither is given the language of its text by the builder (always ``vi`` here);
- ``published_at_source``: the signal that carries the expected publication time, the
  most explicit one when several do: ``jsonld:datePublished``, then
  ``meta:article:published_time``, then ``itemprop:datePublished`` (a ``<meta>`` or an
  element with that itemprop); a time shown only in the page's date line is
  ``page:date-element``; null when the page gives no publication time.
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urljoin

from lxml import html as lxml_html

from crawler.core.urls import canonical_url

STRUCTURED = ("jsonld:datePublished", "meta:article:published_time", "itemprop:datePublished")


def tree_of(page: bytes | str):
    return lxml_html.fromstring(page if isinstance(page, bytes) else page.encode("utf-8"))


def _meta(tree, *names: str) -> str | None:
    for name in names:
        for attr in ("property", "name"):
            values = tree.xpath(f"//meta[@{attr}=$n]/@content", n=name)
            if values and values[0].strip():
                return values[0].strip()
    return None


def _jsonld(tree, key: str) -> str | None:
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get(key):
                return str(item[key])
    return None


def _itemprop(tree, key: str) -> str | None:
    for el in tree.xpath("//*[@itemprop=$k]", k=key):
        value = el.get("content") or el.get("datetime")
        if value and value.strip():
            return value.strip()
    return None


def page_canonical(tree, url: str) -> str:
    links = tree.xpath("//link[@rel='canonical']/@href")
    href = (links[0].strip() if links else None) or _meta(tree, "og:url")
    return canonical_url(urljoin(url, href) if href else url)


def lead_image(tree, url: str, container: str) -> str | None:
    og = _meta(tree, "og:image")
    if og:
        return urljoin(url, og)
    srcs = tree.xpath(f"({container})//img/@src")
    return urljoin(url, srcs[0].strip()) if srcs else None


def declared_language(tree) -> str | None:
    lang = (tree.get("lang") or "").strip() or (_meta(tree, "og:locale") or "").strip()
    return lang.replace("_", "-").split("-")[0].lower() or None


def _instant(raw: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.strip()) if raw else None
    except ValueError:
        return None
    return value if value and value.tzinfo else None


def published_signals(tree) -> dict[str, str | None]:
    return {
        "jsonld:datePublished": _jsonld(tree, "datePublished"),
        "meta:article:published_time": _meta(tree, "article:published_time"),
        "itemprop:datePublished": _itemprop(tree, "datePublished"),
    }


def modified_signals(tree) -> dict[str, str | None]:
    return {
        "jsonld:dateModified": _jsonld(tree, "dateModified"),
        "meta:article:modified_time": _meta(tree, "article:modified_time", "og:updated_time"),
        "itemprop:dateModified": _itemprop(tree, "dateModified"),
    }


def published_source(tree, expected: str | None) -> str | None:
    """Which signal carries ``expected`` (an ISO time); a structured signal stating
    another time is a build error (the expectation and the page would disagree)."""
    if expected is None:
        return None
    want = datetime.fromisoformat(expected)
    for source, raw in published_signals(tree).items():
        value = _instant(raw)
        if value is None:
            continue
        if value.replace(second=0) != want.replace(second=0):
            raise SystemExit(f"{source} says {raw}, the expectation {expected}")
        return source
    return "page:date-element"


def page_fields(page: bytes | str, url: str, container: str, expected: dict,
                text_language: str = "vi") -> dict:
    """The page-level fields of one gold page, in the order the record lists them.

    ``container`` is an XPath to the article's own block (where its lead image sits);
    ``text_language`` is the language of the page's text, used only when the page
    declares none. A page stating a modified time the expectation lacks is a build
    error: ``updated_at`` comes from the builder's data and must agree with the page."""
    tree = tree_of(page)
    stated = {k: v for k, v in modified_signals(tree).items() if v}
    if stated and not expected.get("updated_at"):
        raise SystemExit(f"{url}: the page states a modified time {stated}, the expectation none")
    return {
        "published_at_source": published_source(tree, expected.get("published_at")),
        "image_url": lead_image(tree, url, container),
        "language": declared_language(tree) or text_language,
        "canonical_url": page_canonical(tree, url),
    }
