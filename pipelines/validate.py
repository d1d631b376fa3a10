"""Validate: drop what is not a storable article, with a logged reason.

Settings read: PROVNEWS_MIN_WORDS, PROVNEWS_SINCE.
Stats: ``provnews/validate/drop/<reason>``.
"""

from __future__ import annotations

import logging
from datetime import date

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.record import ArticleRecord

logger = logging.getLogger(__name__)


class ValidatePipeline:
    def __init__(self, min_words: int, since: date | None, stats=None):  # noqa: ANN001
        self.min_words = min_words
        self.since = since
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ValidatePipeline":
        since = crawler.settings.get("PROVNEWS_SINCE")
        return cls(crawler.settings.getint("PROVNEWS_MIN_WORDS"),
                   date.fromisoformat(since) if since else None, crawler.stats)

    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        reason = self.problem(item)
        if reason:
            if self.stats is not None:
                self.stats.inc_value(f"provnews/validate/drop/{reason}")
            logger.info("dropped %s: %s", item.url, reason)
            raise DropItem(reason)
        return item

    def problem(self, item: ArticleRecord) -> str | None:
        if not item.title:
            return "no_title"
        if not item.text:
            return "empty_text"
        if item.word_count < self.min_words:
            return "too_short"
        if self.since and item.published_at and item.published_at.date() < self.since:
            return "older_than_since"
        return None
