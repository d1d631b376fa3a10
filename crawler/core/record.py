"""The article record: the contract shared by extraction, pipelines, storage and CLI.

The JSON field names of ``RECORD_FIELDS`` are public (``--format json`` of extract,
scrape, search and show); add fields, never rename them.

``normalise`` is the one place that shapes text fields: NFC, whitespace folded,
paragraphs of ``text`` joined by ``PARAGRAPH_SEPARATOR``, and ``content_hash``
computed from that text. The extractor ends with it and the normalise pipeline
applies it to every item, so ``extract``, ``show``, ``export`` and the HTTP API give
one text and one hash for one page.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from crawler.core.archive import ArchiveRef
from crawler.core.urls import canonical_url

# A blank line: paragraphs split back unambiguously, and plain-text readers show them apart.
PARAGRAPH_SEPARATOR = "\n\n"

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
    # The raw page in the WARC archive, and the extractor that read it (not in the JSON contract).
    archive: ArchiveRef | None = None
    extractor_version: str | None = None

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


def fold_marks(text: str) -> str:
    """Casefolded, every combining mark dropped and ``đ`` -> ``d`` (``Đường hoá`` -> ``duong hoa``)."""
    decomposed = unicodedata.normalize("NFD", nfc(text).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


def content_hash(text: str) -> str:
    """Hash of the whitespace-folded NFC text: the exact-duplicate key."""
    folded = " ".join(nfc(text).split()).casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def split_paragraphs(text: str) -> list[str]:
    """The NFC paragraphs of a text (any run of line breaks separates two), each with
    its whitespace folded; blank ones dropped."""
    folded = (" ".join(line.split()) for line in nfc(text).splitlines())
    return [p for p in folded if p]


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    return PARAGRAPH_SEPARATOR.join(p for p in (" ".join(nfc(q).split()) for q in paragraphs) if p)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(nfc(value).split()) or None


def normalise(record: ArticleRecord) -> ArticleRecord:
    """Shape every text field the one way the record contract states (see the module
    docstring) and set ``canonical_url`` and ``content_hash``. Idempotent."""
    record.title = _clean(record.title)
    record.summary = _clean(record.summary)
    record.attribution = _clean(record.attribution)
    record.section = _clean(record.section)
    record.text = join_paragraphs(split_paragraphs(record.text))
    record.authors = [a for a in (_clean(a) for a in record.authors) if a]
    record.tags = [t for t in (_clean(t) for t in record.tags) if t]
    for image in record.images:
        image.caption = _clean(image.caption)
    record.canonical_url = canonical_url(record.canonical_url or record.url)
    record.content_hash = content_hash(record.text)
    return record
