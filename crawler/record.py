"""The article record: the contract shared by extraction, pipelines, storage and CLI.

The JSON field names of ``RECORD_FIELDS`` are public (``--format json`` of extract,
scrape, search and show); add fields, never rename them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

RECORD_FIELDS = (
    "id", "outlet", "url", "canonical_url", "title", "summary", "text", "authors",
    "attribution", "published_at", "published_at_source", "updated_at", "section",
    "tags", "image_url", "images", "language", "word_count", "content_hash",
    "fetched_at", "province", "gone_at",
)


@dataclass
class Image:
    url: str
    caption: str | None = None


@dataclass
class ArticleRecord:
    """One extracted article. Text fields are NFC; datetimes are timezone-aware."""

    url: str
    outlet: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str = ""
    authors: list[str] = field(default_factory=list)
    attribution: str | None = None
    published_at: datetime | None = None
    # Which candidate the date came from, e.g. "meta:article:published_time",
    # "page:date-element", "feed:pubDate"; None when there is no date.
    published_at_source: str | None = None
    updated_at: datetime | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    images: list[Image] = field(default_factory=list)
    language: str | None = None
    word_count: int = 0
    content_hash: str | None = None
    fetched_at: datetime | None = None
    # Set by storage: the outlet's province, and when the outlet stopped serving the
    # article (404/410, or a redirect to its home page); its content is kept.
    province: str | None = None
    gone_at: datetime | None = None
    id: int | None = None
    # Not part of the JSON contract: how the page was decoded and what the
    # extractor noticed (e.g. "selector:summary", "mojibake"), kept for debugging.
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    # The URL the crawler asked for (before redirects): the frontier's key.
    request_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("published_at", "updated_at", "fetched_at", "gone_at"):
            value = data[name]
            data[name] = value.isoformat() if value else None
        return {name: data[name] for name in RECORD_FIELDS}


def encoding_confidence(notes: list[str]) -> str | None:
    """"low" when the extractor saw mojibake or a legacy Vietnamese font: the text is
    kept, but it is not what a reader of the page sees."""
    return "low" if any(n == "mojibake" or n.startswith("legacy_font:") for n in notes) else None


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def content_hash(text: str) -> str:
    """Hash of the whitespace-folded NFC text: the exact-duplicate key."""
    folded = " ".join(nfc(text).split()).casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
