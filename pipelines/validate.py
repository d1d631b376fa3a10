"""Validate: drop what is not a storable article, with a logged reason.

A page too short to be an article is named for what it is when its words say so:
``challenge_page`` (a bot check such as "Just a moment..."; the URL is retried
later) or ``soft_404`` (a 200 reading "Không tìm thấy trang"; the URL is gone),
else ``too_short``. Only short pages are read this way, so an article that merely
quotes such words is never dropped for them.

Settings read: PROVNEWS_MIN_WORDS, PROVNEWS_SINCE.
Stats: ``provnews/validate/drop/<reason>``.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.core.record import ArticleRecord

logger = logging.getLogger(__name__)

# Matched against the casefolded title and text of a too-short page.
_CHALLENGE = re.compile(r"just a moment|checking your browser|enable javascript and cookies|"
                        r"attention required|verify you are (?:a )?human|ddos protection|"
                        r"kiểm tra trình duyệt|xác minh bạn là người")
_NOT_FOUND = re.compile(r"không tìm thấy|không tồn tại|đã bị (?:xoá|xóa|gỡ)|page not found|"
                        r"\b404\b|trang bạn (?:tìm|yêu cầu)")


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
            return _short_page_kind(item)
        if self.since and item.published_at and item.published_at.date() < self.since:
            return "older_than_since"
        return None


def _short_page_kind(item: ArticleRecord) -> str:
    words = f"{item.title or ''}\n{item.text}".casefold()
    if _CHALLENGE.search(words):
        return "challenge_page"
    if _NOT_FOUND.search(words):
        return "soft_404"
    return "too_short"
