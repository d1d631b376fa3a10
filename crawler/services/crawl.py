"""Run crawls in this process: settings from CLI options, stats back as a report.

A Twisted reactor cannot be restarted, so each function here may be called once per
process; the CLI is one process per command and the scheduler runs crawls as
subprocesses.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.core.record import ArticleRecord
from crawler.settings import from_environment
from crawler.spiders.check import CheckSpider

logger = logging.getLogger(__name__)

MIRROR_HANDLER = "crawler.mirror.handler.MirrorDownloadHandler"
EGRESS_RESOLVER = "crawler.fetching.egress.EgressGuardResolver"
# The mirror is our own process on loopback: no politeness delay is owed to it. Not 0:
# with no delay Scrapy 2.19's downloader hands a host's whole queue to the handler
# before any request counts as in flight, so CONCURRENT_REQUESTS_PER_DOMAIN is not
# enforced (7 at once with a limit of 1); any delay makes it take one at a time.
MIRROR_DOWNLOAD_DELAY = 0.001


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

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0))

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


def run_spiders(
    jobs: list[tuple[str, type, dict[str, Any]]],
    options: CrawlOptions,
    on_event: Callable[[str], None] | None = None,
) -> list[CrawlReport]:
    """Run ``(report name, spider class, spider kwargs)`` jobs side by side in one reactor."""
    if options.mirror:
        logger.warning("mirror mode: every request goes to %s (politeness delay off)", options.mirror)
    process = CrawlerProcess(build_settings(options))
    reports, recorders, crawlers = [], [], []
    for name, spider_cls, kwargs in jobs:
        crawler = process.create_crawler(spider_cls)
        report = CrawlReport(name)
        recorders.append(_Recorder(crawler, report, on_event))
        process.crawl(crawler, **kwargs)
        reports.append(report)
        crawlers.append(crawler)
    process.start()
    for crawler, report in zip(crawlers, reports):
        report.stats = dict(crawler.stats.get_stats())
    return reports


def run_check(outlet_keys: list[str], options: CrawlOptions) -> list:
    """Run the canary spider over the outlets and return its probes."""
    process = CrawlerProcess(build_settings(options))
    crawler = process.create_crawler(CheckSpider)
    process.crawl(crawler, outlets=outlet_keys)
    process.start()
    return crawler.spider.probes
