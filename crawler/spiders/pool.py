"""Extraction off the reactor: a pool of worker processes, one per process however
many crawlers it runs.

The spider awaits ``ExtractPool.extract`` for each fetched article page, so the
reactor goes on fetching, storing and answering signals while pages are parsed on
every core. ``crawl --all`` runs one crawler per outlet in one reactor: they all
share the one pool (``ExtractPool.for_crawler``), started when the first spider opens
and shut down when the reactor stops, after every crawler has finished its pages.

Back-pressure, so that memory stays flat and a killed run has few fetched pages to
fetch again: at most ``limit`` pages (twice the workers) wait for or are under
extraction, process-wide; beyond that ``ExtractionGateMiddleware`` holds article
requests before they are downloaded, and each page extracted lets one through (all of
them once the pool is idle, so none waits for ever). Requests for feeds, sitemaps and
listings are never held. The callback also holds its response until extraction is
done, so Scrapy's per-crawler bound (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``) applies as before.

Workers are forkserver processes, so fork-safe: each is forked from a clean server
process that has imported the extractor once, never from the crawl process and its
threads. They ignore SIGINT and SIGTERM (the crawl process owns interrupts and stops
the pool after its crawlers have finished the pages in hand; a Ctrl-C reaching the
whole process group leaves no worker traceback) and exit by themselves as soon as the
crawl process is gone (``kill -9``, or the forced stop of a second signal), so none is
orphaned. A worker that dies under a page (killed, out of memory) fails that page
and those queued with it as ``worker_lost``: their URLs are retried like any failed
fetch, and the next page gets a fresh pool.

With ``PROVNEWS_EXTRACT_WORKERS`` 0 or 1 the page is extracted in the calling
process, on the same code path.

Settings read: PROVNEWS_EXTRACT_WORKERS.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from crawler.core.record import ArticleRecord
from crawler.core.registry import Outlet
from crawler.extraction import extract_bytes

WATCH_PARENT_S = 0.5
# Imported once by the fork server, so a worker starts in milliseconds, not seconds.
PRELOAD = ["crawler.extraction"]


class WorkerLost(Exception):
    """A worker died under a page (killed, out of memory): the page is worth another try."""


class ExtractPool:
    def __init__(self, workers: int):
        self.workers = workers
        self.limit = 2 * max(workers, 1)
        self.pending = 0  # pages waiting for or under extraction
        self._held: deque[Deferred] = deque()  # article requests held before download
        self._executor: ProcessPoolExecutor | None = None

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ExtractPool:
        """The process's pool (the first crawler's setting sizes it)."""
        global _shared
        if _shared is None:
            _shared = cls(crawler.settings.getint("PROVNEWS_EXTRACT_WORKERS"))
        crawler.signals.connect(_shared.start, signals.spider_opened)
        return _shared

    def start(self) -> None:
        """Start the workers while the crawl reads robots.txt, feeds and sitemaps: a pool
        started at the first article would keep the first pages waiting for seconds."""
        if self.workers > 1 and self._executor is None:
            for _ in range(self.workers):
                self._pool().submit(int)

    async def extract(self, body: bytes, url: str, *, content_type: str | None, outlet: Outlet | None,
                      fallback_date: tuple[datetime, str] | None) -> ArticleRecord:
        """``extract_bytes`` in a worker; its ``ExtractionError`` is raised here."""
        kwargs: dict[str, Any] = {"content_type": content_type, "outlet": outlet, "fallback_date": fallback_date}
        self.pending += 1
        try:
            if self.workers <= 1:
                return extract_bytes(body, url, **kwargs)
            future = self._pool().submit(extract_bytes, body, url, **kwargs)
            return await maybe_deferred_to_future(_on_reactor(future))
        except BrokenProcessPool as exc:
            self._discard()  # the next page gets a fresh pool
            raise WorkerLost(str(exc)) from None
        finally:
            self.pending -= 1
            self._release()

    def admission(self) -> Deferred:
        """Fires when an article request may be downloaded."""
        if self.pending < self.limit:
            return succeed(None)
        held: Deferred = Deferred()
        self._held.append(held)
        return held

    def _release(self) -> None:
        for _ in range(len(self._held) if self.pending == 0 else 1):
            if self._held:
                self._held.popleft().callback(None)

    def close(self) -> None:
        """Stop the workers (the reactor is stopping: no crawler has a page in hand)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            from twisted.internet import reactor

            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context,
                                                 initializer=_worker_started, initargs=(os.getpid(),))
            reactor.addSystemEventTrigger("before", "shutdown", self.close)
        return self._executor

    def _discard(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


_shared: ExtractPool | None = None


class ExtractionGateMiddleware:
    """Downloader middleware: article requests wait for ``ExtractPool.admission``. Placed
    last before the download handler, so a request it holds has passed every check."""

    def __init__(self, pool: ExtractPool):
        self.pool = pool

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionGateMiddleware:
        return cls(ExtractPool.for_crawler(crawler))

    async def process_request(self, request: Request) -> None:
        if "article_url" in request.meta:
            await maybe_deferred_to_future(self.pool.admission())


def _on_reactor(future: Future) -> Deferred:
    """A Deferred fired on the reactor thread with the future's outcome (the future
    completes on the executor's own thread)."""
    from twisted.internet import reactor

    deferred: Deferred = Deferred()

    def fire(done: Future) -> None:
        error = done.exception()
        if error is not None:
            deferred.errback(Failure(error))
        else:
            deferred.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))
    return deferred


def _worker_started(crawl_process: int) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(crawl_process,), name="watch-crawl", daemon=True).start()


def _exit_with(pid: int) -> None:
    """Exit once the crawl process has: nothing else would end a worker then (the fork
    server, our parent, waits for its workers before it exits)."""
    try:
        # Readable when the process ends, even while it is an unreaped zombie, which
        # polling its pid would take for alive.
        watched = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux ≥ 5.3
        while _alive(pid):
            time.sleep(WATCH_PARENT_S)
    else:
        select.select([watched], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # the pid was reused by another user's process
        return False
    return True
