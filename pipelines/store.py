"""Store: upsert articles, their history, their story and their frontier state, in
batches of one transaction each.

An article is keyed by its canonical URL (``url_key``), so writing it again updates
or leaves it, never duplicates it. The same text already stored under another URL
of the same outlet is that article, reached by a second URL: the URL is added to
it. A changed text becomes a new version with a word diff; every new or changed
text is (re)assigned to its story. The frontier row of the fetched URL turns
``done`` in the same transaction: a crash between
fetch and commit leaves the URL leased, and the next run fetches it again (the
crawl's ``Frontier`` writes that row, and lends its database).

Each article and new version points to the WARC record of its page, stamped with the
extractor version: the archive writer is synced before the batch commits, so a
committed pointer always names a record on disk.

Settings read: PROVNEWS_STORE_BATCH_SIZE, PROVNEWS_SOURCES,
PROVNEWS_STORY_THRESHOLD, PROVNEWS_ARCHIVE (crawler.archive.middleware).
Stats: ``provnews/store/<inserted|updated|unchanged|duplicate>``.
"""

from __future__ import annotations

import logging
import time

from scrapy.crawler import Crawler
from sqlalchemy.orm import Session

from crawler.archive.extractor import extractor_version
from crawler.archive.middleware import archive_writer
from crawler.archive.warc import ArchiveWriter
from crawler.core.record import ArticleRecord
from crawler.core.registry import load_registry
from crawler.core.urls import url_key
from crawler.frontier import Frontier, frontier_key
from storage.archive import add_record, point
from storage.history import add_version
from storage.queries import (
    add_url,
    article_id_for_key,
    find_by_content_hash,
    upsert_article,
)
from storage.signatures import assign_story

logger = logging.getLogger(__name__)

MAX_BATCH_AGE_S = 0.25


class StorePipeline:
    def __init__(self, frontier: Frontier, batch_size: int, provinces: dict[str, str],
                 story_threshold: float, stats=None, archive: ArchiveWriter | None = None,  # noqa: ANN001
                 origin: str = "fetch"):
        self.frontier = frontier
        self.archive = archive
        self.origin = origin  # what made the versions: "fetch", or "import" (crawler.services.import_warc)
        self.extractor_version = extractor_version()
        self.database = frontier.database
        self.batch_size = batch_size
        self.provinces = provinces
        self.story_threshold = story_threshold
        self.stats = stats
        self.batch: list[ArticleRecord] = []
        self.batch_started = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        settings = crawler.settings
        registry = load_registry(settings.get("PROVNEWS_SOURCES"))
        return cls(Frontier.from_crawler(crawler),
                   settings.getint("PROVNEWS_STORE_BATCH_SIZE"),
                   {key: outlet.province for key, outlet in registry.items()},
                   settings.getfloat("PROVNEWS_STORY_THRESHOLD"), crawler.stats, archive_writer(crawler))

    def process_item(self, item: ArticleRecord) -> ArticleRecord:
        if not self.batch:
            self.batch_started = time.monotonic()
        self.batch.append(item)
        # Full, or old: a slow trickle of articles is committed within a second too,
        # so a killed run throws little fetched work away.
        if len(self.batch) >= self.batch_size or time.monotonic() - self.batch_started >= MAX_BATCH_AGE_S:
            self.flush()
        return item

    def close_spider(self) -> None:
        # Runs before the spider_closed signal, so the ledger counts the last batch.
        self.flush()

    def flush(self) -> None:
        """Write the batch in one transaction: all of it is stored, or none of it."""
        if not self.batch:
            return
        if self.archive is not None:
            self.archive.sync()  # the pointers below may name only records on disk

        def write() -> list[str]:
            with self.database.session() as session, session.begin():
                return [self._store(session, record) for record in self.batch]

        outcomes = self.database.retry_locked(write)
        for outcome in outcomes:
            if self.stats is not None:
                self.stats.inc_value(f"provnews/store/{outcome}")
        self.batch.clear()

    def _store(self, session: Session, record: ArticleRecord) -> str:
        key = url_key(record.canonical_url or record.url)
        self.frontier.stored(session, record)
        existing = find_by_content_hash(session, record.outlet, record.content_hash)
        if existing is not None and existing != article_id_for_key(session, key):
            add_url(session, existing, record.url)
            record.id = existing
            return "duplicate"
        seen = [url for url in (record.request_url,) if url]
        result = upsert_article(session, record, key, seen, province=self.provinces.get(record.outlet or ""),
                                mirror=self.frontier.mirror)
        record.id = result.id
        archive_id = (add_record(session, record.archive, frontier_key(record))
                      if record.archive is not None else None)
        version = record.extractor_version or self.extractor_version
        point(session, result.id, archive_id, version)
        if result.status != "unchanged":
            add_version(session, result.id, record.title, record.text, record.content_hash or "",
                        record.fetched_at, origin=self.origin, archive_id=archive_id, extractor_version=version)
            assign_story(session, result.id, record.text, self.story_threshold)
        return result.status
