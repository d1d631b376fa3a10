"""Every gold fixture states every field of the record that is read from the page, with
the record's types (fundus sets field names and types once and enforces them by a test).

The fields are derived from ``RECORD_FIELDS``, so a field added to the record fails
here until every fixture states it (``null`` / ``[]`` where the page truly has none).
Every fixture under ``gold/`` is checked, at any depth (``gold/real/…`` included); its
page is ``<name>.html`` or, as the real pages are stored (gzipped, byte for byte),
``<name>.html.gz``.
Whether the extractor gets the values right is ``test_gold.py``'s and the evaluation's
business; this test only holds the gold itself to the contract.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.core.record import RECORD_FIELDS
from crawler.core.urls import canonical_url

GOLD = Path(__file__).parent / "gold"

# Fields of the record that are not read from the page, and why.
NOT_FROM_THE_PAGE = {
    "id": "the database row id, assigned by storage when the article is stored",
    "outlet": "the registry key the crawl ran under: an input of extraction (the fixture's meta.outlet)",
    "url": "the URL fetched: an input of extraction (the fixture's meta.url)",
    "fetched_at": "the crawler's clock when it fetched the page, not anything the page says",
    "province": "the outlet's province from the registry, set by storage",
    "gone_at": "set by the frontier when the outlet stops serving the article",
    "word_count": "computed from text; test_gold.py checks it against the gold text",
    "content_hash": "computed from text by normalise; test_gold.py checks its shape",
}
# The record's ``images`` (a list of {url, caption}) is stated in the fixtures as
# ``captions``: the caption of each captioned image, in page order (image URLs are
# judged through ``image_url``). One name per field in the gold: this one.
FIXTURE_KEY = {"images": "captions"}
PAGE_FIELDS = tuple(FIXTURE_KEY.get(f, f) for f in RECORD_FIELDS if f not in NOT_FROM_THE_PAGE)
# Ways a fixture judges a page besides the fields: snippets of the body (a fixture may
# give these instead of the full ``text``) and the opening of the summary.
SNIPPET_KEYS = ("text_contains", "text_not_contains", "text_startswith", "summary_startswith")

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?[+-]\d{2}:\d{2}$")
# Where a publication time was read: "<kind>:<signal>" (meta:article:published_time,
# jsonld:datePublished, itemprop:datePublished, selector:date, page:date-element,
# page:text-near-title, feed:pubDate, …) or "htmldate".
DATE_SOURCE = re.compile(r"^(?:(?:jsonld|meta|itemprop|selector|page|feed):\S+|htmldate)$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _fixtures() -> list:
    return [pytest.param(path, id=str(path.relative_to(GOLD)))
            for path in sorted(GOLD.rglob("*.json"))]


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() == value and bool(value)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(_is_text(v) for v in value)


def _is_time(value: Any) -> bool:
    if not (isinstance(value, str) and ISO_WITH_OFFSET.match(value)):
        return False
    return datetime.fromisoformat(value).tzinfo is not None


def _is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# field → (may it be null, the check of a non-null value): the record's types.
CHECKS = {
    "canonical_url": (False, lambda v: _is_url(v) and canonical_url(v) == v),
    "title": (False, _is_text),
    "summary": (True, _is_text),
    "text": (False, _is_text),
    "authors": (False, _is_texts),
    "attribution": (True, _is_text),
    "published_at": (True, _is_time),
    "published_at_source": (True, lambda v: isinstance(v, str) and bool(DATE_SOURCE.match(v))),
    "updated_at": (True, _is_time),
    "section": (True, _is_text),
    "tags": (False, _is_texts),
    "image_url": (True, _is_url),
    "captions": (False, lambda v: isinstance(v, list) and all(c is None or _is_text(c) for c in v)),
    "language": (True, lambda v: isinstance(v, str) and bool(LANGUAGE.match(v))),
}


def test_exclusions_name_record_fields() -> None:
    """A field dropped from the record must leave the exclusions too, and every page
    field has a type check here: a new record field fails until it is given one."""
    assert set(NOT_FROM_THE_PAGE) <= set(RECORD_FIELDS)
    assert set(PAGE_FIELDS) == set(CHECKS), set(PAGE_FIELDS) ^ set(CHECKS)


def test_every_fixture_is_found() -> None:
    pages = list(GOLD.rglob("*.json"))
    assert len(pages) >= 119, len(pages)


@pytest.mark.parametrize("spec_file", _fixtures())
def test_fixture_states_every_page_field(spec_file: Path) -> None:
    pages = [spec_file.with_suffix(".html"), spec_file.with_suffix(".html.gz")]
    assert any(p.is_file() for p in pages), "a gold .json without its .html (or .html.gz)"
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    meta, expected = spec["meta"], spec["expected"]
    assert _is_url(meta.get("url")), "meta.url: the URL the page was fetched from"
    assert meta.get("outlet") is None or _is_text(meta["outlet"]), "meta.outlet"

    judged_by_snippets = "text_contains" in expected
    missing = [f for f in PAGE_FIELDS if f not in expected and not (f == "text" and judged_by_snippets)]
    assert not missing, f"state these (null / [] where the page has none): {missing}"
    unknown = set(expected) - set(PAGE_FIELDS) - set(SNIPPET_KEYS)
    assert not unknown, f"not fields of the record: {sorted(unknown)}"

    wrong = []
    for name in PAGE_FIELDS:
        if name not in expected:
            continue
        nullable, check = CHECKS[name]
        value = expected[name]
        if not ((value is None and nullable) or (value is not None and check(value))):
            wrong.append(f"{name}={value!r}")
    assert not wrong, "wrong type or form: " + "; ".join(wrong)

    for key in ("text_contains", "text_not_contains"):
        if key in expected:
            assert _is_texts(expected[key]) and expected[key], key
    for key in ("text_startswith", "summary_startswith"):
        if key in expected:
            assert _is_text(expected[key]), key
    # A source names where the publication time was read: both or neither.
    assert (expected["published_at"] is None) == (expected["published_at_source"] is None), \
        "published_at_source is null exactly when published_at is"
