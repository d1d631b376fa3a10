"""Run crawls in this process: settings from CLI options, stats back as a report.

A Twisted reactor cannot be restarted, so each function here may be called once per
process; the CLI is one process per command and the scheduler runs crawls as
subprocesses.

SIGINT and SIGTERM are ours during a crawl, not Scrapy's: Scrapy's handlers stop only
the crawlers whose engines already run, so a signal during start-up left the other
outlets crawling to the end. The first signal asks every crawler to stop, also those
that start afterwards (each run then closes as ``interrupted``); a second signal, or
a graceful stop still unfinished after ``FORCE_AFTER_S``, ends the process at once
with the same exit code, recording its runs as ``interrupted`` when the database
answers within ``FORCE_RECORD_S`` (else the next run reaps them); the two together stay
under the promised 5 s.
Either way an outlet whose crawl was stopped before its spider opened (and so before
the ledger began its run) gets an ``interrupted`` row of its own.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.project import get_project_settings
from sqlalchemy.orm import Session

from crawler.core.outcome import EXIT_CODES
from crawler.core.record import ArticleRecord
from crawler.ledger import OUTCOME_STAT, run_counts
from crawler.settings import from_environment
from crawler.spiders.check import CheckSpider
from storage import crawlstate
from storage.engine import StorageError, make_engine

logger = logging.getLogger(__name__)

MIRROR_HANDLER = "crawler.mirror.handler.MirrorDownloadHandler"
EGRESS_RESOLVER = "crawler.fetching.egress.EgressGuardResolver"
# The mirror is our own process on loopback: no politeness delay is owed to it. Not 0:
# with no delay Scrapy 2.19's downloader hands a host's whole queue to the handler
# before any request counts as in flight, so CONCURRENT_REQUESTS_PER_DOMAIN is not
# enforced (7 at once with a limit of 1); any delay makes it take one at a time.
MIRROR_DOWNLOAD_DELAY = 0.001
# The promise: every crawl stopped within 5 s of the signal. A graceful stop waits for
# the downloads in flight; past FORCE_AFTER_S it is forced, and the forced stop gives the
# database FORCE_RECORD_S to record the runs: the process ends by 3 + 1.5 s, leaving
# 0.5 s of slack for a loaded machine (it was 4 + 2 s: a forced stop could take 6 s).
FORCE_AFTER_S = 3.0
FORCE_RECORD_S = 1.5
STOP_POLL_S = 0.1


@dataclass
class CrawlOptions:
    database_url: str
    mirror: str | None = None
    sources: str | None = None
    since: str | None = None
    log_level: str = "WARNING"
    recheck_days: float | None = None
    user_urls: bool = False        # URLs from a user (`scrape`): the egress guard applies
    allow_private: bool = False    # `scrape --allow-private`: lift the guard's address check
    archive: bool = True           # `--no-archive`: keep no WARC record of the pages


@dataclass
class CrawlReport:
    """What one spider run did, read from its Scrapy stats and signals."""

    name: str
    stats: dict[str, Any] = field(default_factory=dict)
    stored: list[ArticleRecord] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    interrupted: bool = False  # a signal stopped the crawl

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))

    def counts(self) -> dict[str, Any]:
        """The ledger's columns for this run: the summary shows the same numbers."""
        return run_counts(self.stats)

    def outcome(self) -> str:
        """The word the ledger recorded; a crawler stopped before its spider opened has none."""
        return str(self.stats.get(OUTCOME_STAT) or ("interrupted" if self.interrupted else "failed"))

    def errors(self) -> dict[str, int]:
        prefixes = ("provnews/fetch/error/", "provnews/extract/error/", "provnews/route/")
        return {k.removeprefix("provnews/"): int(v) for k, v in self.stats.items()
                if k.startswith(prefixes) and "/error/" in k}


def build_settings(options: CrawlOptions) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    # The one read of the environment for a crawl: deployment-wide tuning (route choice,
    # contact, the trigger the scheduler sets); the command's own options come after.
    settings.setdict(from_environment(), priority="project")
    for name, value in (("PROVNEWS_DATABASE_URL", options.database_url), ("PROVNEWS_SOURCES", options.sources),
                        ("PROVNEWS_SINCE", options.since), ("PROVNEWS_RECHECK_DAYS", options.recheck_days)):
        if value is not None:
            settings.set(name, value)
    settings.set("LOG_LEVEL", options.log_level)
    if not options.archive:
        settings.set("PROVNEWS_ARCHIVE", False)
    if options.mirror:
        settings.set("PROVNEWS_MIRROR_URL", options.mirror)
        settings.set("DOWNLOAD_HANDLERS", {"http": MIRROR_HANDLER, "https": MIRROR_HANDLER})
        settings.set("DOWNLOAD_DELAY", MIRROR_DOWNLOAD_DELAY)
        settings.set("PROVNEWS_RETRY_BACKOFF_BASE", 0.1)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 4)
    if options.user_urls:
        _guard_egress(settings, options)
    return settings


def _guard_egress(settings: Settings, options: CrawlOptions) -> None:
    """User-supplied URLs go through the egress guard, and never through a proxy.

    The middleware checks every request's scheme, port and IP-literal host (redirect
    hops included); the resolver checks every resolved address at connect time. In
    mirror mode every connection goes to the mirror origin the operator chose, so the
    resolver is left out and only the real URLs are checked."""
    settings.set("PROVNEWS_EGRESS_GUARD", True)
    settings.set("PROVNEWS_EGRESS_ALLOW_PRIVATE", options.allow_private)
    settings.set("HTTPPROXY_ENABLED", False)
    if not options.mirror and not options.allow_private:
        settings.set("TWISTED_DNS_RESOLVER", EGRESS_RESOLVER)


class _Recorder:
    """Keeps a crawler's stored and dropped items (a bound method, since Scrapy's
    signal dispatcher holds weak references)."""

    def __init__(self, crawler: Crawler, report: CrawlReport, on_event: Callable[[str], None] | None):
        self.report = report
        self.on_event = on_event
        crawler.signals.connect(self.item_scraped, signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signals.item_dropped)
        crawler.signals.connect(self.response_received, signals.response_received)

    def item_scraped(self, item: Any, **_: Any) -> None:
        self.report.stored.append(item)
        self._notify("item")

    def item_dropped(self, item: Any, exception: BaseException, **_: Any) -> None:
        self.report.dropped.append((getattr(item, "url", "?"), str(exception)))
        self._notify("drop")

    def response_received(self, **_: Any) -> None:
        self._notify("response")

    def _notify(self, event: str) -> None:
        if self.on_event is not None:
            self.on_event(event)


class Shutdown:
    """Our SIGINT/SIGTERM handlers for the length of a crawl (see the module docstring)."""

    def __init__(self, crawlers: list[Crawler], announce: Callable[[str], None], options: CrawlOptions,
                 outlets: list[str], trigger: str):
        self.crawlers = crawlers
        self.announce = announce
        self.database_url = options.database_url
        self.mirror = bool(options.mirror)
        self.outlets = outlets  # the ledger's name of each job's run
        self.trigger = trigger
        self.since = datetime.now(UTC)
        self.requested = False
        self._reactor_ready = False
        self._asked: set[int] = set()
        self._previous: dict[int, Any] = {}
        self._deadline: threading.Timer | None = None

    def __enter__(self) -> Self:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._first)
        return self

    def __exit__(self, *_: object) -> None:
        if self._deadline is not None:  # the graceful stop made it in time
            self._deadline.cancel()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def reactor_ready(self) -> None:
        """Called once Scrapy has installed its reactor: importing it earlier, from a
        signal, would install Twisted's default one instead."""
        from twisted.internet import reactor

        self._reactor_ready = True
        if self.requested:
            reactor.callWhenRunning(self._stop_started)

    def _first(self, signum: int, _frame: Any) -> None:
        self.requested = True
        for each in self._previous:
            signal.signal(each, self._second)
        self.announce(f"{signal.Signals(signum).name}: stopping every crawl (again to stop at once)")
        self._deadline = threading.Timer(FORCE_AFTER_S, self._force)
        self._deadline.daemon = True
        self._deadline.start()
        if self._reactor_ready:
            from twisted.internet import reactor

            reactor.callFromThread(self._stop_started)

    def _second(self, _signum: int, _frame: Any) -> None:
        self._force()

    def _force(self) -> None:
        """Record this process's runs as interrupted, if the database answers within
        FORCE_RECORD_S (the stopped crawl may itself hold SQLite's lock; the next run of
        each outlet then reaps it as killed), and end the process."""
        self.announce("stopped at once")
        recorder = threading.Thread(target=self._record_interrupted, daemon=True)
        recorder.start()
        recorder.join(FORCE_RECORD_S)
        sys.stderr.flush()
        os._exit(EXIT_CODES["interrupted"])

    def _record_interrupted(self) -> None:
        """Every run of this crawl says ``interrupted``, also those whose spider never opened."""
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session, session.begin():
                crawlstate.close_runs_of(session, os.getpid(), self.since, "interrupted")
                crawlstate.record_unbegun_runs(session, os.getpid(), self.since, self.outlets, self.trigger,
                                               self.mirror, "interrupted")
        except StorageError:
            pass  # the next run reaps the runs instead (a run never begun leaves no row)
        finally:
            engine.dispose()

    def record_unbegun(self) -> None:
        """After a graceful stop: a row for each outlet stopped before its spider opened."""
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session, session.begin():
                crawlstate.record_unbegun_runs(session, os.getpid(), self.since, self.outlets, self.trigger,
                                               self.mirror, "interrupted")
        except StorageError as exc:  # the summary and the exit code still say "interrupted"
            logger.warning("could not record the crawls stopped before they began: %s", exc)
        finally:
            engine.dispose()

    def _stop_started(self) -> None:
        """Stop every crawler whose engine runs; poll for those still starting."""
        from twisted.internet import reactor

        for crawler in self.crawlers:
            if id(crawler) not in self._asked and _engine_running(crawler):
                self._asked.add(id(crawler))
                deferred = deferred_from_coro(crawler.stop_async())
                deferred.addErrback(lambda failure: logger.debug("stopping a crawler: %s", failure.value))
        if len(self._asked) < len(self.crawlers):
            reactor.callLater(STOP_POLL_S, self._stop_started)


def _engine_running(crawler: Crawler) -> bool:
    try:
        return bool(crawler.engine.running)
    except RuntimeError:  # Scrapy's "Crawler.engine is not set yet": still starting
        return False


def _stats_of(crawler: Crawler) -> dict[str, Any]:
    try:
        return dict(crawler.stats.get_stats())
    except RuntimeError:  # a crawler stopped before it was set up has no stats
        return {}


def _stderr_line(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_spiders(
    jobs: list[tuple[str, type, dict[str, Any]]],
    options: CrawlOptions,
    on_event: Callable[[str], None] | None = None,
    announce: Callable[[str], None] = _stderr_line,
) -> list[CrawlReport]:
    """Run ``(report name, spider class, spider kwargs)`` jobs side by side in one reactor."""
    if options.mirror:
        logger.warning("mirror mode: every request goes to %s (politeness delay off)", options.mirror)
    settings = build_settings(options)
    reports, recorders, crawlers = [], [], []
    # The ledger names a run after its outlet, or its spider (crawler.ledger).
    outlets = [kwargs.get("outlet", spider_cls.name) for _, spider_cls, kwargs in jobs]
    with Shutdown(crawlers, announce, options, outlets, settings.get("PROVNEWS_TRIGGER")) as shutdown:
        process = CrawlerProcess(settings)
        for name, spider_cls, kwargs in jobs:
            crawler = process.create_crawler(spider_cls)
            report = CrawlReport(name)
            recorders.append(_Recorder(crawler, report, on_event))
            crawlers.append(crawler)
            process.crawl(crawler, **kwargs)
            reports.append(report)
        shutdown.reactor_ready()
        process.start(install_signal_handlers=False)
        if shutdown.requested:
            shutdown.record_unbegun()
    for crawler, report in zip(crawlers, reports):
        report.stats = _stats_of(crawler)
        report.interrupted = shutdown.requested
    return reports


def run_check(outlet_keys: list[str], options: CrawlOptions) -> list:
    """Run the canary spider over the outlets and return its probes."""
    process = CrawlerProcess(build_settings(options))
    crawler = process.create_crawler(CheckSpider)
    process.crawl(crawler, outlets=outlet_keys)
    process.start()
    return crawler.spider.probes
