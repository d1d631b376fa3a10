"""Store: upsert articles, their history, their story and their frontier state, in
batches of one transaction each.

An article is keyed by its canonical URL (``url_key``), so writing it again updates
or leaves it, never duplicates it. The same text already stored under another URL
of the same outlet is that article, reached by a second URL: the URL is added to
it. A changed text becomes a new version with a word diff; every new or changed
text is (re)assigned to its story. The frontier row of the fetched URL turns
``done`` in the same transaction: a crash between
fetch and commit leaves the URL leased, and the next run takes it over, reading the
page back from the archive (the crawl's ``Frontier`` writes that row, and lends its
database).

A batch is written in a handful of multi-row statements whatever its size: the
frontier rows, the exact-duplicate lookup, the article upsert, the archive rows and
pointers, the versions (diffed against the latest stored ones, read in one query) and
the stories (``storage.signatures.assign_stories``). Records that depend on each other
(one article twice, one text twice, a text another record's article is leaving) make
the batch go one record at a time, which gives the same result.

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
from storage.archive import add_record, add_records, point, point_many
from storage.crawlstate import ensure_done_many
from storage.history import NewVersion, add_version, add_versions
from storage.queries import (
    ArticleWrite,
    add_url,
    add_urls,
    article_id_for_key,
    articles_for_keys,
    content_hash_owners,
    find_by_content_hash,
    upsert_article,
    upsert_articles,
)
from storage.signatures import assign_stories, assign_story

logger = logging.getLogger(__name__)

MAX_BATCH_AGE_S = 1.0


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
        # Full, or old: a slow trickle of articles is committed within a second too.
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
                return self._store_batch(session, self.batch)

        outcomes = self.database.retry_locked(write)
        for outcome in outcomes:
            if self.stats is not None:
                self.stats.inc_value(f"provnews/store/{outcome}")
        self.batch.clear()

    def _store_batch(self, session: Session, records: list[ArticleRecord]) -> list[str]:
        """Every record of the batch, as ``_store`` one after the other would, in a
        handful of multi-row statements; a batch whose records depend on each other in
        a way the multi-row path does not follow is stored one record at a time."""
        keys = [url_key(r.canonical_url or r.url) for r in records]
        stored = articles_for_keys(session, keys)
        if not _independent(records, keys, stored):
            return [self._store(session, record) for record in records]
        ensure_done_many(session, [(r.outlet, frontier_key(r), r.request_url or r.url) for r in records],
                         self.frontier.mirror)
        owners = content_hash_owners(session, [(r.outlet, r.content_hash) for r in records if r.content_hash])
        outcomes: list[str] = [""] * len(records)
        duplicates, writes = [], []
        for index, (record, key) in enumerate(zip(records, keys, strict=True)):
            existing = owners.get((record.outlet, record.content_hash)) if record.content_hash else None
            if existing is not None and existing != stored.get(key, (None,))[0]:
                duplicates.append((existing, record.url))
                record.id, outcomes[index] = existing, "duplicate"
            else:
                writes.append(index)
        add_urls(session, duplicates)
        results = upsert_articles(session, [
            ArticleWrite(records[i], keys[i], [u for u in (records[i].request_url,) if u],
                         self.provinces.get(records[i].outlet or ""), self.frontier.mirror) for i in writes])
        archived = [i for i in writes if records[i].archive is not None]
        archive_ids = dict(zip(archived, add_records(session, [(records[i].archive, frontier_key(records[i]))
                                                               for i in archived]), strict=True))
        versions, pointers, texts = [], [], []
        for i, result in zip(writes, results, strict=True):
            record, version = records[i], records[i].extractor_version or self.extractor_version
            record.id, outcomes[i] = result.id, result.status
            pointers.append((result.id, archive_ids.get(i), version))
            if result.status != "unchanged":
                versions.append(NewVersion(result.id, record.title, record.text, record.content_hash or "",
                                           record.fetched_at, archive_ids.get(i), version))
                texts.append((result.id, record.text))
        point_many(session, pointers)
        add_versions(session, versions, origin=self.origin)
        assign_stories(session, texts, self.story_threshold)
        return outcomes

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


def _independent(records: list[ArticleRecord], keys: list[str], stored: dict[str, tuple[int, str | None]]) -> bool:
    """No two records of the batch touch one article, share a text, or give one of them
    the text another's article is leaving: then the order they are stored in does not
    matter, and the multi-row path stores them as one after the other would."""
    texts = [(r.outlet, r.content_hash) for r in records if r.content_hash]
    left = {(r.outlet, stored[k][1]) for r, k in zip(records, keys, strict=True)
            if k in stored and stored[k][1] != r.content_hash}
    return len(set(keys)) == len(keys) and len(set(texts)) == len(texts) and not left & set(texts)
