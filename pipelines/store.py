"""Store: upsert articles through SQLAlchemy, in batches of one transaction each.

An article is keyed by its canonical URL (``url_key``), so writing it again updates
or leaves it, never duplicates it. The same text already stored under another URL
of the same outlet is that article, reached by a second URL: the URL is added to it.

Settings read: PROVNEWS_DATABASE_URL, PROVNEWS_STORE_BATCH_SIZE.
Stats: ``provnews/store/<inserted|updated|unchanged|duplicate>``.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.record import ArticleRecord
from crawler.urls import url_key
from storage.engine import Database, database_url, open_database
from storage.queries import add_url, article_id_for_key, find_by_content_hash, upsert_article

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, database: Database, batch_size: int, stats=None):  # noqa: ANN001
        self.database = database
        self.batch_size = batch_size
        self.stats = stats
        self.batch: list[ArticleRecord] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        url = database_url(crawler.settings.get("PROVNEWS_DATABASE_URL"))
        pipeline = cls(open_database(url), crawler.settings.getint("PROVNEWS_STORE_BATCH_SIZE"),
                       crawler.stats)
        crawler.signals.connect(pipeline.spider_closed, signals.spider_closed)
        return pipeline

    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        self.batch.append(item)
        if len(self.batch) >= self.batch_size:
            self.flush()
        return item

    def spider_closed(self) -> None:
        self.flush()
        self.database.engine.dispose()

    def flush(self) -> None:
        """Write the batch in one transaction: all of it is stored, or none of it."""
        if not self.batch:
            return
        with self.database.session() as session, session.begin():
            outcomes = [self._store(session, record) for record in self.batch]
        for outcome in outcomes:
            if self.stats is not None:
                self.stats.inc_value(f"provnews/store/{outcome}")
        self.batch.clear()

    @staticmethod
    def _store(session, record: ArticleRecord) -> str:  # noqa: ANN001
        key = url_key(record.canonical_url or record.url)
        existing = find_by_content_hash(session, record.outlet, record.content_hash)
        if existing is not None and existing != article_id_for_key(session, key):
            add_url(session, existing, record.url)
            record.id = existing
            return "duplicate"
        result = upsert_article(session, record, key, [record.url])
        record.id = result.id
        return result.status
