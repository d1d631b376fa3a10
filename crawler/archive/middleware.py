"""Keep every article response in the raw archive as it was fetched.

A downloader middleware next to ``ArticleResponseMiddleware``: it sees the final
response of each article request (``meta["article_url"]``), after redirects and
decompression, and appends it to the crawl's ``ArchiveWriter``; the record's
``ArchiveRef`` rides on ``meta["provnews_archive"]`` to the spider and the store
pipeline, which syncs the writer before it commits pointers.

One writer per crawler (``archive_writer``), in its own new file, so concurrent
crawls never share a file; files left by killed crawls are repaired
(``warc.recover``) when a writer is made, and the file is closed when the engine stops.

Reuse after a kill: the records of a repaired file that no ``archive_records`` row
names yet (pages fetched by the killed crawl and never stored) get rows then, keyed
by the URL asked for (``storage.archive.adopt_records``). The spider looks those up
for the URLs it takes over from the killed run and marks their requests
(``meta["provnews_reuse"]``): this middleware answers such a request from the
archive, without a download, and does not archive the page a second time. A record
it cannot read back is downloaded as usual.

Settings read: PROVNEWS_ARCHIVE (off: NotConfigured), PROVNEWS_ARCHIVE_DIR (default
beside the SQLite file, see ``warc.default_directory``), PROVNEWS_ARCHIVE_MAX_BYTES, PROVNEWS_DATABASE_URL.
Stats: ``provnews/archive/records``, ``provnews/archive/bytes``, ``provnews/archive/recovered``,
``provnews/archive/adopted`` (records of killed crawls entered for reuse), ``provnews/archive/reused``
(requests answered from the archive), ``provnews/archive/reuse_failed``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from crawler.archive.warc import (
    ArchiveWriter,
    archived_refs,
    default_directory,
    read_page,
    recover,
)
from crawler.core.urls import url_key
from storage.archive import adopt_records
from storage.database import open_database
from storage.engine import database_url

META_KEY = "provnews_archive"
REUSE_META = "provnews_reuse"   # an ArchiveRef with its row: answer from the archive

logger = logging.getLogger(__name__)


def archive_directory(settings) -> Path:  # noqa: ANN001 - Scrapy settings or a plain mapping
    configured = settings.get("PROVNEWS_ARCHIVE_DIR")
    return Path(configured) if configured else default_directory(database_url(settings.get("PROVNEWS_DATABASE_URL")))


def archive_writer(crawler: Crawler) -> ArchiveWriter | None:
    """The crawler's one writer, made on first use; None when the archive is off."""
    if not crawler.settings.getbool("PROVNEWS_ARCHIVE"):
        return None
    writer = getattr(crawler, "provnews_archive", None)
    if writer is None:
        directory = archive_directory(crawler.settings)
        directory.mkdir(parents=True, exist_ok=True)
        fixed = recover(directory)
        if fixed and crawler.stats is not None:
            crawler.stats.inc_value("provnews/archive/recovered", len(fixed))
        if fixed:
            adopted = _adopt(directory, fixed, crawler.settings.get("PROVNEWS_DATABASE_URL"))
            if crawler.stats is not None:
                crawler.stats.inc_value("provnews/archive/adopted", adopted)
        writer = ArchiveWriter(directory, crawler.settings.getint("PROVNEWS_ARCHIVE_MAX_BYTES"))
        crawler.provnews_archive = writer  # type: ignore[attr-defined]
        crawler.signals.connect(writer.close, signals.engine_stopped)
    return writer


def _adopt(directory: Path, names: list[str], url: str | None) -> int:
    """Rows for the unstored records of killed crawls' files, before any spider of this
    process leases their URLs (every writer is made before its crawler's spider starts)."""
    records = [(ref, url_key(asked)) for name in names for ref, asked in archived_refs(directory, name)]
    if not records:
        return 0
    database = open_database(database_url(url))
    try:
        def write() -> int:
            with database.session() as session, session.begin():
                return adopt_records(session, records)

        adopted = database.retry_locked(write)
    finally:
        database.engine.dispose()
    logger.info("%d page(s) fetched by killed crawls and never stored are kept for reuse", adopted)
    return adopted


class ArchiveMiddleware:
    def __init__(self, writer: ArchiveWriter, stats=None):  # noqa: ANN001
        self.writer = writer
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        writer = archive_writer(crawler)
        if writer is None:
            raise NotConfigured("PROVNEWS_ARCHIVE is off")
        return cls(writer, crawler.stats)

    def process_request(self, request: Request) -> Response | None:
        """A page a killed crawl fetched and never stored: read it back, not download it."""
        ref = request.meta.get(REUSE_META)
        if ref is None:
            return None
        try:
            page = read_page(self.writer.directory, ref.file, ref.offset, ref.length)
        except (OSError, ValueError) as exc:
            logger.warning("archived page of %s unreadable, downloading it (%s)", request.url, exc)
            del request.meta[REUSE_META]
            self._stat("provnews/archive/reuse_failed")
            return None
        if not page.digest_ok:
            del request.meta[REUSE_META]
            self._stat("provnews/archive/reuse_failed")
            return None
        if page.redirects:
            request.meta["redirect_urls"] = page.redirects
        request.meta[META_KEY] = ref
        self._stat("provnews/archive/reused")
        headers = Headers([(k, v) for k, v in page.headers])
        cls = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
        return cls(url=page.url, status=page.status, headers=headers, body=page.body, request=request)

    def process_response(self, request: Request, response: Response) -> Response:
        if "article_url" not in request.meta or REUSE_META in request.meta:
            return response
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items()
                   for v in values]
        ref = self.writer.write(response.url, response.status, headers, response.body, datetime.now(UTC),
                                redirects=request.meta.get("redirect_urls"),
                                request_url=request.meta["article_url"])
        request.meta[META_KEY] = ref
        self._stat("provnews/archive/records")
        self._stat("provnews/archive/bytes", ref.length)
        return response

    def _stat(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
