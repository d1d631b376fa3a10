"""robots.txt read as Nutch and StormCrawler read it, with Crawl-delay applied.

Settings read: Scrapy's ROBOTSTXT_*, DOWNLOAD_DELAY, DOWNLOAD_DELAY_JITTER and
PROVNEWS_MAX_CRAWL_DELAY.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from crawler.fetching.errors import (
    FetchError,
    reason_for,
    refuse,
)

logger = logging.getLogger(__name__)


class _RefuseAll:
    """A robots parser that forbids everything: the host is left out of this run and
    each of its URLs refused under ``reason``."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        self.detail = detail

    def allowed(self, url: str, user_agent: Any) -> bool:
        return False


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """robots.txt as Nutch and StormCrawler read it, not as Scrapy does:

    - 2xx: obeyed (Protego); a garbage body means allow;
    - 4xx other than 429: no rules, allow all;
    - 5xx, 429, a timeout or any other failure: the host is **deferred** for this run
      (every URL refused as ``robots_deferred``; the robots.txt itself recorded as
      ``robots_unavailable``). Scrapy would treat all of these as "allow".

    ``Crawl-delay``, which Scrapy reads but never applies: above
    ``PROVNEWS_MAX_CRAWL_DELAY`` the host is skipped for this run (each URL refused as
    ``crawl_delay_exceeded``, as StormCrawler's ``fetcher.max.crawl.delay``); below it,
    it becomes the host's download delay, without jitter below it.
    """

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self.max_crawl_delay = crawler.settings.getfloat("PROVNEWS_MAX_CRAWL_DELAY")

    def process_request_2(self, rp: Any, request: Request) -> None:
        if rp is None:
            return
        if rp.allowed(request.url, self._useragent(request)):
            return
        if isinstance(rp, _RefuseAll):
            raise refuse(self.crawler, request, rp.reason, rp.detail)
        self._stats.inc_value("robotstxt/forbidden")
        raise refuse(self.crawler, request, "robots_disallowed", "forbidden by robots.txt")

    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            robotsreq = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                                meta={"dont_obey_robotstxt": True, "route": "robots"}, callback=NO_CALLBACK)
            parser: Any
            try:
                response = await self.crawler.engine.download_async(robotsreq)
            except Exception as exc:  # noqa: BLE001 (every failure defers the host)
                reason = reason_for(exc, robotsreq)
                if not isinstance(exc, FetchError):   # FetchErrors were recorded where raised
                    refuse(self.crawler, robotsreq, reason, repr(exc))
                if reason.startswith("blocked_"):
                    # The egress guard refused the host: its URLs will be refused (and
                    # recorded) the same way, under their own reason. Nothing to defer.
                    parser = None
                else:
                    parser = self._defer(robotsreq, f"robots.txt failed ({reason})")
            else:
                parser = await self._parse(response, robotsreq, request)
            self._stats.inc_value("robotstxt/request_count")
            waiting = self._parsers[netloc]
            self._parsers[netloc] = parser
            assert isinstance(waiting, Deferred)
            waiting.callback(parser)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _parse(self, response: Response, robotsreq: Request, request: Request) -> Any:
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        status = response.status
        if status >= 500 or status == 429:
            return self._defer(robotsreq, f"robots.txt answered {status}")
        if status >= 400:
            logger.info("robots.txt of %s answered %s: allow all", robotsreq.url, status)
            return None
        if 300 <= status < 400:  # redirects exhausted or not followed
            return self._defer(robotsreq, f"robots.txt answered {status} without a usable redirect")
        rp = build_from_crawler(self._parserimpl, self.crawler, response.body)
        delay = rp.crawl_delay(self._useragent(request))
        if delay is not None and delay > self.max_crawl_delay:
            logger.warning("robots.txt of %s asks for a Crawl-delay of %g s, above the %g s cap: "
                           "host skipped for this run", robotsreq.url, delay, self.max_crawl_delay)
            return _RefuseAll("crawl_delay_exceeded",
                              f"Crawl-delay {delay:g} s > {self.max_crawl_delay:g} s: host skipped for this run")
        if delay:
            self._slow_down(robotsreq, delay)
        await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=rp,
                                                        request=request)
        return rp

    def _defer(self, robotsreq: Request, why: str) -> _RefuseAll:
        refuse(self.crawler, robotsreq, "robots_unavailable", f"{why}: host deferred for this run")
        return _RefuseAll("robots_deferred", "robots.txt unavailable: host deferred for this run")

    def _useragent(self, request: Request) -> Any:
        return self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)

    def _slow_down(self, robotsreq: Request, delay: float) -> None:
        """Make ``delay`` the least wait between two requests to the robots.txt's host,
        unless our own delay already waits longer. Kept in the per-slot settings too,
        since the downloader drops idle slots and rebuilds them from those."""
        settings = self.crawler.settings
        if delay <= settings.getfloat("DOWNLOAD_DELAY") * (1 - settings.getfloat("DOWNLOAD_DELAY_JITTER")):
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(robotsreq)
        downloader.per_slot_settings.setdefault(key, {}).update(delay=delay, jitter=0)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay, slot.jitter = delay, 0
        logger.info("robots.txt of %s asks for a Crawl-delay of %g s: honoured", robotsreq.url, delay)
