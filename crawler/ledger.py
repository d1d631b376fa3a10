"""The crawl ledger: a ``crawl_runs`` row per spider run and a ``fetch_log`` row per fetch.

What the pipelines drop (a page that is not an article, too short, older than
--since) is handed to the frontier to settle, and its reason goes on the fetch's
``fetch_log`` row, which came back fine at the HTTP level.

Each run's ``status`` is its outcome (``crawler.core.outcome``): ok, partial, failed or
interrupted (stopped by a signal), from its fetch and route errors and how many of its
requests were answered (stat ``provnews/fetch/answered``); the word is also left in the
stat ``provnews/outcome`` for the crawl summary and the exit code.

Settings read: PROVNEWS_TRIGGER (manual | schedule | demo), PROVNEWS_WORKER (the worker whose
job runs the crawl, recorded on its run); the database is the
crawl's one ``Frontier``'s.
Signals: ``fetch_failed`` (sent by the spiders' errback with the request and a
reason code) is logged like a response; ``page_rejected`` (url, reason: sent by the
spiders for a fetched page that holds no article) sets that fetch's reason.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.archive.middleware import REUSE_META
from crawler.core import signals as provnews_signals
from crawler.core.cadence import base_interval, next_interval
from crawler.core.outcome import classify, failures
from crawler.core.record import ArticleRecord
from crawler.frontier import Frontier
from storage import crawlstate

logger = logging.getLogger(__name__)

FLUSH_EVERY = 200
# Per route in crawl_runs.routes: counts, and the plan of crawler.discovery.routing (rank, state).
ROUTE_FIELDS = ("urls", "new", "fresh", "unique", "unchanged", "rank", "state")
ANSWERED_STAT = "provnews/fetch/answered"   # responses below 400, robots.txt aside
OUTCOME_STAT = "provnews/outcome"           # the run's word (crawler.core.outcome)


class LedgerExtension:
    def __init__(self, crawler: Crawler, frontier: Frontier, trigger: str, worker: str | None = None):
        self.crawler = crawler
        self.frontier = frontier
        self.database = frontier.database
        self.trigger = trigger
        self.worker = worker
        self.buffer: list[dict[str, Any]] = []
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_opened, signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signals.spider_closed)
        crawler.signals.connect(self.response_received, signals.response_received)
        crawler.signals.connect(self.item_dropped, signals.item_dropped)
        crawler.signals.connect(self.fetch_failed, provnews_signals.fetch_failed)
        crawler.signals.connect(self.page_rejected, provnews_signals.page_rejected)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerExtension:
        return cls(crawler, Frontier.from_crawler(crawler), crawler.settings.get("PROVNEWS_TRIGGER", "manual"),
                   crawler.settings.get("PROVNEWS_WORKER"))

    def spider_opened(self, spider: Spider) -> None:
        outlet = getattr(getattr(spider, "outlet", None), "key", None) or spider.name
        with self.database.session() as session, session.begin():
            dead = crawlstate.reap_dead_runs(session, outlet)
            self.run_id = crawlstate.start_run(session, outlet, self.trigger, worker=self.worker,
                                               mirror=self.frontier.mirror)
        if dead:
            logger.warning("runs %s of %s had died; their leased URLs are pending again", dead, outlet)
        spider.run_id = self.run_id

    def response_received(self, response: Response, request: Request, **_: Any) -> None:
        latency = request.meta.get("download_latency")
        # robots.txt answering says nothing of the outlet's feeds, listings or articles.
        if response.status < 400 and not response.url.endswith("/robots.txt"):
            self.crawler.stats.inc_value(ANSWERED_STAT)
        if REUSE_META in request.meta:
            return  # read back from the archive: not a fetch
        self._log(response.url, status=response.status, bytes=len(response.body),
                  elapsed_ms=int(latency * 1000) if latency is not None else None)

    def fetch_failed(self, request: Request, reason: str, status: int | None = None, **_: Any) -> None:
        self._log(request.url, status=status, reason=reason)

    def item_dropped(self, item: Any, exception: BaseException, **_: Any) -> None:
        if not isinstance(item, ArticleRecord):
            return
        reason = str(exception)
        self.page_rejected(item.url, reason)
        self.frontier.dropped(item, reason)

    def page_rejected(self, url: str, reason: str, **_: Any) -> None:
        """The fetch of ``url`` came back but holds no article: say why on its log row."""
        for row in reversed(self.buffer):
            if row["url"] == url and row["reason"] is None:
                row["reason"] = reason
                return
        with self.database.session() as session, session.begin():
            crawlstate.annotate_fetch(session, self.run_id, url, reason)

    def _log(self, url: str, **fields: Any) -> None:
        self.buffer.append({"url": url, "fetched_at": datetime.now(UTC), "reason": None, **fields})
        if len(self.buffer) >= FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if not self.buffer:
            return
        with self.database.session() as session, session.begin():
            crawlstate.log_fetches(session, self.run_id, self.buffer)
        self.buffer.clear()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._flush()
        if self.run_id is None:
            return
        stats = self.crawler.stats
        outcome = run_outcome(stats.get_stats(), interrupted=reason == "shutdown")
        # The summary and the exit code read the word from here, so all three agree.
        stats.set_value(OUTCOME_STAT, outcome)
        counts = run_counts(stats.get_stats())
        outlet = getattr(spider, "outlet", None)
        base = base_interval(outlet) if outlet is not None else None
        with self.database.session() as session, session.begin():
            if base is not None:
                previous = crawlstate.last_interval(session, outlet.key, self.frontier.mirror)
                counts["interval_minutes"] = next_interval(base, previous, counts["new"], counts["discovered"])
            crawlstate.finish_run(session, self.run_id, outcome, **counts)
        # A stop on request (SIGTERM, Ctrl-C, a page cap) leaves URLs leased but never
        # fetched: the next run must not wait for their leases to expire.
        self.frontier.release(self.run_id)


def run_outcome(stats: dict[str, Any], interrupted: bool) -> str:
    """The run's outcome from its stats: ok, partial, failed or interrupted.

    Fetch and route errors count; a page that came back holding no article
    (``provnews/extract/error/*``) is the site's answer, not a failure of the run."""
    errors = {key.rsplit("/", 1)[1]: int(value) for key, value in stats.items()
              if key.startswith(("provnews/fetch/error/", "provnews/route/")) and "/error/" in key}
    return classify(interrupted=interrupted, failed_fetches=failures(errors),
                    answered=int(stats.get(ANSWERED_STAT, 0)))


def run_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The ledger's columns, read from a run's Scrapy stats."""

    def n(key: str) -> int:
        return int(stats.get(key, 0))

    routes: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        parts = key.split("/")
        if key.startswith("provnews/route/") and len(parts) == 4 and parts[3] in ROUTE_FIELDS:
            routes.setdefault(parts[2], {})[parts[3]] = value if parts[3] == "state" else int(value)
    errors = {k.split("/error/", 1)[1]: int(v) for k, v in stats.items()
              if k.startswith("provnews/") and "/error/" in k}
    return {
        "requests": n("downloader/request_count"),
        "discovered": sum(r.get("urls", 0) for r in routes.values()),
        "fetched": n("downloader/response_count"),
        "new": n("provnews/store/inserted"),
        "updated": n("provnews/store/updated"),
        "duplicates": n("provnews/store/duplicate") + n("provnews/store/unchanged"),
        "dropped": n("item_dropped_count"),
        "blocked": n("robotstxt/forbidden"),
        "errors": errors,
        "routes": routes,
    }
