"""Normalise: NFC every text field, fold whitespace, set the canonical URL.

Extraction already emits NFC; this pipeline makes it an invariant for every item,
whatever produced it, before anything is hashed or compared. Reads no settings.
"""

from __future__ import annotations

from crawler.record import ArticleRecord, content_hash, nfc
from crawler.urls import canonical_url


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(nfc(value).split())
    return value or None


def _clean_text(text: str) -> str:
    paragraphs = (" ".join(p.split()) for p in nfc(text).split("\n"))
    return "\n".join(p for p in paragraphs if p)


class NormalisePipeline:
    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        item.title = _clean(item.title)
        item.summary = _clean(item.summary)
        item.attribution = _clean(item.attribution)
        item.section = _clean(item.section)
        item.text = _clean_text(item.text)
        item.authors = [a for a in (_clean(a) for a in item.authors) if a]
        item.tags = [t for t in (_clean(t) for t in item.tags) if t]
        for image in item.images:
            image.caption = _clean(image.caption)
        item.canonical_url = canonical_url(item.canonical_url or item.url)
        item.content_hash = content_hash(item.text)
        return item
