"""Import, the use case: articles of the registered outlets from WARC files that other
crawlers wrote (wget, Heritrix, Browsertrix), through the crawl's own pipelines.

Each response record whose URL is an article URL of a registered outlet is copied
into our archive, extracted, then normalised, validated, deduplicated and stored
exactly as a fetched page would be (story, versions, frontier row ``done``, so the
URL is never fetched again). Request, metadata and other records are passed over.
An ``http://`` URL counts as the outlet's own when its ``https://`` twin does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.exceptions import DropItem

from crawler.archive.warc import ArchivedPage, ArchiveWriter, iter_pages, recover
from crawler.core.registry import Outlet
from crawler.extraction import ExtractionError, extract_bytes
from crawler.frontier import Frontier
from crawler.settings import (
    PROVNEWS_ARCHIVE_MAX_BYTES,
    PROVNEWS_LEASE_SECONDS,
    PROVNEWS_MIN_WORDS,
    PROVNEWS_STORE_BATCH_SIZE,
    PROVNEWS_STORY_THRESHOLD,
)
from pipelines.dedup import DedupPipeline
from pipelines.normalise import NormalisePipeline
from pipelines.store import StorePipeline
from pipelines.validate import ValidatePipeline
from storage.engine import Database


@dataclass
class ImportReport:
    responses: int = 0
    stored: int = 0
    skipped: Counter = field(default_factory=Counter)   # reason: records not imported


def import_warcs(database: Database, paths: Iterable[Path], registry: dict[str, Outlet],
                 archive_dir: Path | None) -> ImportReport:
    """Import every file in turn; ``archive_dir`` None keeps no copy of the pages."""
    writer = None
    if archive_dir is not None:
        archive_dir.mkdir(parents=True, exist_ok=True)
        recover(archive_dir)
        writer = ArchiveWriter(archive_dir, PROVNEWS_ARCHIVE_MAX_BYTES)
    store = StorePipeline(Frontier(database, PROVNEWS_LEASE_SECONDS), PROVNEWS_STORE_BATCH_SIZE,
                          {key: outlet.province for key, outlet in registry.items()}, PROVNEWS_STORY_THRESHOLD,
                          archive=writer, origin="import")
    checks = [NormalisePipeline(), ValidatePipeline(PROVNEWS_MIN_WORDS, None), DedupPipeline()]
    report = ImportReport()
    try:
        for path in paths:
            with open(path, "rb") as stream:
                for _, page in iter_pages(stream):
                    report.responses += 1
                    reason = _import_one(page, registry, writer, checks, store)
                    if reason:
                        report.skipped[reason] += 1
                    else:
                        report.stored += 1
        store.close_spider()
    finally:
        if writer is not None:
            writer.close()
    return report


def _import_one(page: ArchivedPage, registry: dict[str, Outlet], writer: ArchiveWriter | None,
                checks: list, store: StorePipeline) -> str | None:
    """Store one response as an article; the reason it was not, or None."""
    outlet = _outlet_of(page.url, registry)
    if outlet is None:
        return "not_an_article_url"
    if page.status != 200:
        return f"http_{page.status}"
    try:
        record = extract_bytes(page.body, page.url, content_type=page.header("Content-Type"), outlet=outlet)
    except ExtractionError as exc:
        return f"not_article:{exc.reason}"
    record.fetched_at = page.fetched_at
    record.request_url = page.request_url or page.url
    try:
        for check in checks:
            record = check.process_item(record)
    except DropItem as exc:
        return str(exc)
    if writer is not None:
        record.archive = writer.write(page.url, page.status, page.headers, page.body, page.fetched_at,
                                      page.redirects, page.request_url)
    store.process_item(record)
    return None


def _outlet_of(url: str, registry: dict[str, Outlet]) -> Outlet | None:
    candidates = (url, "https://" + url.removeprefix("http://")) if url.startswith("http://") else (url,)
    for outlet in registry.values():
        if any(outlet.is_article_url(candidate) for candidate in candidates):
            return outlet
    return None
