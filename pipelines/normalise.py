"""Normalise: every item, whatever produced it, in the record contract's one shape
(NFC, folded whitespace, paragraphs joined one way, canonical URL, content hash)
before anything is hashed or compared. ``crawler.core.record.normalise`` does it;
the extractor already ends with it, so this is a guarantee, not a second rule.
Reads no settings.
"""

from __future__ import annotations

from crawler.core.record import ArticleRecord, normalise


class NormalisePipeline:
    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        return normalise(item)
