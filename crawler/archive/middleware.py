"""Keep every article response in the raw archive as it was fetched.

A downloader middleware next to ``ArticleResponseMiddleware``: it sees the final
response of each article request (``meta["article_url"]``), after redirects and
decompression, and appends it to the crawl's ``ArchiveWriter``; the record's
``ArchiveRef`` rides on ``meta["provnews_archive"]`` to the spider and the store
pipeline, which syncs the writer before it commits pointers.

One writer per crawler (``archive_writer``), in its own new file, so concurrent
crawls never share a file; files left by killed crawls are repaired
(``warc.recover``) when a writer is made, and the file is closed when the engine stops.

Settings read: PROVNEWS_ARCHIVE (off: NotConfigured), PROVNEWS_ARCHIVE_DIR (default
beside the SQLite file, see ``warc.default_directory``), PROVNEWS_ARCHIVE_MAX_BYTES, PROVNEWS_DATABASE_URL.
Stats: ``provnews/archive/records``, ``provnews/archive/bytes``, ``provnews/archive/recovered``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.archive.warc import ArchiveWriter, default_directory, recover
from storage.engine import database_url

META_KEY = "provnews_archive"


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
        writer = ArchiveWriter(directory, crawler.settings.getint("PROVNEWS_ARCHIVE_MAX_BYTES"))
        crawler.provnews_archive = writer  # type: ignore[attr-defined]
        crawler.signals.connect(writer.close, signals.engine_stopped)
    return writer


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

    def process_response(self, request: Request, response: Response) -> Response:
        if "article_url" not in request.meta:
            return response
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in response.headers.items()
                   for v in values]
        ref = self.writer.write(response.url, response.status, headers, response.body, datetime.now(UTC),
                                redirects=request.meta.get("redirect_urls"),
                                request_url=request.meta["article_url"])
        request.meta[META_KEY] = ref
        if self.stats is not None:
            self.stats.inc_value("provnews/archive/records")
            self.stats.inc_value("provnews/archive/bytes", ref.length)
        return response
