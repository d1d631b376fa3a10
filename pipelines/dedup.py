"""Deduplicate within a run: the same canonical URL, or the same text in one outlet.

Across runs the store's upsert on the URL key (and its content-hash lookup) does
the same job in the database, so a second crawl adds no rows.
Stats: ``provnews/dedup/drop/<reason>``.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.core.record import ArticleRecord

logger = logging.getLogger(__name__)


class DedupPipeline:
    def __init__(self, stats=None):  # noqa: ANN001
        self.stats = stats
        self.urls: set[str] = set()
        self.texts: set[tuple[str | None, str | None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupPipeline":
        return cls(crawler.stats)

    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        text_key = (item.outlet, item.content_hash)
        if item.canonical_url in self.urls:
            self._drop(item, "duplicate_url")
        if text_key in self.texts:
            self._drop(item, "duplicate_text")
        self.urls.add(item.canonical_url)
        self.texts.add(text_key)
        return item

    def _drop(self, item: ArticleRecord, reason: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"provnews/dedup/drop/{reason}")
        logger.info("dropped %s: %s", item.url, reason)
        raise DropItem(reason)
