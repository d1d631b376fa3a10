"""Downloader middlewares that make every resource limit an explicit, recorded outcome.

reliability.md INV-4, INV-9, INV-10. Whenever a request is not fetched, or its
response is not handed on, the reason is recorded once, at the point where it is
known, as the stat ``provnews/fetch/error/<reason>`` and a WARNING log line naming
the URL; the request then fails with ``FetchError`` (an ``IgnoreRequest`` carrying
``reason``), which reaches the spider's errback. Reason codes are short snake_case,
fit to be stored in a ``fetch_log.reason`` column:

=====================  ===========================================================
timeout                the whole-request deadline (DOWNLOAD_TIMEOUT) passed
dataloss               body shorter than its Content-Length, or broken chunking
too_large              body above DOWNLOAD_MAXSIZE (or the per-request cap)
decompression_limit    body above the cap once decompressed (a compression bomb)
conn_refused           nobody listens there
conn_lost              the connection broke mid-response
dns_error              the host name does not resolve
tls_error              TLS handshake or certificate failure
download_error         any other transport failure (the log names the exception)
max_redirects          more than REDIRECT_MAX_TIMES redirects
redirect_loop          a redirect back to an URL already in the chain
bad_scheme             a redirect (or URL) to a scheme other than http/https
url_too_long           URL longer than URLLENGTH_LIMIT
too_many_segments      more than PROVNEWS_MAX_URL_SEGMENTS path segments
repeated_segment       a path segment repeated more than PROVNEWS_MAX_SEGMENT_REPEATS times
robots_disallowed      robots.txt forbids the URL
robots_unavailable     robots.txt answered 5xx/429 or could not be fetched: host deferred
robots_deferred        an URL of a host deferred by robots_unavailable
crawl_delay_exceeded   an URL of a host whose robots.txt Crawl-delay is above
                       PROVNEWS_MAX_CRAWL_DELAY: host skipped for this run
unsupported_type       an article answered with a type other than PROVNEWS_ARTICLE_TYPES
                       (a PDF, an image, application/octet-stream): never extracted
empty_extract          an article answered 200 with an empty or tiny body (under
                       PROVNEWS_MIN_BODY_BYTES): nothing to extract, retried later
blocked_address        egress guard: a private/loopback/reserved address (scrape path)
blocked_port           egress guard: a port outside PROVNEWS_EGRESS_PORTS
blocked_redirect       egress guard: a redirect hop to a blocked address or port
ignored                any other IgnoreRequest (the log gives its message)
=====================  ===========================================================

HTTP error statuses that survive retries are recorded by the spider as ``http_<code>``.
A refused article URL goes back to the frontier as ``failed``: due again after a
back-off, ``gone`` after MAX_ATTEMPTS (storage.crawlstate); ``unsupported_type`` is
``gone`` at once (the outlet spider's errback).
"""

from __future__ import annotations

import logging
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet import error as txerror
from twisted.internet.defer import Deferred

from crawler.egress import REFUSED_HOSTS

logger = logging.getLogger(__name__)

STAT_PREFIX = "provnews/fetch/error/"


class FetchError(IgnoreRequest):
    """A request that was deliberately not fetched (or not handed on); already recorded."""

    def __init__(self, reason: str, url: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.url = url
        self.detail = detail


def refuse(crawler: Any, request: Request, reason: str, detail: str = "") -> FetchError:
    """Record a limit hit (stat + log line with the URL) and return the exception to raise."""
    crawler.stats.inc_value(STAT_PREFIX + reason)
    logger.warning("fetch refused: %s (%s%s)", request.url, reason, f": {detail}" if detail else "")
    return FetchError(reason, request.url, detail)


def reason_for(exc: BaseException, request: Request | None = None) -> str:
    """The reason code of a download exception (see the module docstring)."""
    if isinstance(exc, FetchError):
        return exc.reason
    if isinstance(exc, (DownloadTimeoutError, txerror.TimeoutError)):
        return "timeout"
    if isinstance(exc, ResponseDataLossError):
        return "dataloss"
    if isinstance(exc, DownloadCancelledError):
        # Scrapy cancels a download over the size cap: with a message when Content-Length
        # announced it, with none when the streamed body ran past it.
        return "too_large" if not str(exc) or "max size" in str(exc) else "download_error"
    if isinstance(exc, (DownloadConnectionRefusedError, txerror.ConnectionRefusedError)):
        return "conn_refused"
    if isinstance(exc, (CannotResolveHostError, txerror.DNSLookupError)):
        host = urlsplit(request.url).hostname if request is not None else None
        if host and REFUSED_HOSTS.get(host):
            return "blocked_redirect" if request.meta.get("redirect_urls") else "blocked_address"
        return "dns_error"
    if isinstance(exc, (txerror.ConnectionLost, txerror.ConnectionDone)) or _broke_off(exc):
        return "conn_lost"
    if "SSL" in type(exc).__name__ or "TLS" in type(exc).__name__:
        return "tls_error"
    if isinstance(exc, IgnoreRequest):
        return "ignored"
    return "download_error"


def _broke_off(exc: BaseException) -> bool:
    """Scrapy wraps a connection that broke before the answer was read (Twisted's
    ``ResponseFailed`` with ``ConnectionLost`` among its reasons) in a bare
    ``DownloadFailedError``; the cause says which it was."""
    if not isinstance(exc, DownloadFailedError):
        return False
    reasons = getattr(exc.__cause__, "reasons", ())
    return any(f.check(txerror.ConnectionLost, txerror.ConnectionDone) for f in reasons)


def _no_retry(exc: BaseException, request: Request) -> bool:
    """Failures a retry cannot mend: policy refusals."""
    return isinstance(exc, IgnoreRequest) or reason_for(exc, request).startswith("blocked_")


class FetchOutcomeMiddleware:
    """Outermost middleware: any download exception nobody handled (retries exhausted)
    is recorded under its reason code and turned into ``FetchError``."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> FetchOutcomeMiddleware:
        return cls(crawler)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, FetchError):
            raise exception
        reason = reason_for(exception, request)
        detail = f"{type(exception).__name__}: {exception}".rstrip(": ")
        if reason.startswith("blocked_"):
            detail = f"egress guard: {REFUSED_HOSTS.get(urlsplit(request.url).hostname or '')}"
        raise refuse(self.crawler, request, reason, detail) from exception


class RequestLimitsMiddleware:
    """Per-request limits checked before anything is sent: URL length, path-segment
    count and repetition (crawl traps such as ``/a/a/a/``), and the size caps of
    sitemaps (``meta["route"] == "sitemap"``) and robots.txt."""

    def __init__(self, crawler: Any):
        s = crawler.settings
        self.crawler = crawler
        self.max_length = s.getint("URLLENGTH_LIMIT")
        self.max_segments = s.getint("PROVNEWS_MAX_URL_SEGMENTS")
        self.max_repeats = s.getint("PROVNEWS_MAX_SEGMENT_REPEATS")
        self.sitemap_maxsize = s.getint("PROVNEWS_SITEMAP_MAXSIZE")
        self.robots_maxsize = s.getint("PROVNEWS_ROBOTS_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Any) -> RequestLimitsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        problem = url_trap(request.url, self.max_length, self.max_segments, self.max_repeats)
        if problem:
            raise refuse(self.crawler, request, *problem)
        if "download_maxsize" not in request.meta:
            if request.meta.get("route") == "sitemap" and self.sitemap_maxsize:
                request.meta["download_maxsize"] = self.sitemap_maxsize
            elif urlparse_cached(request).path == "/robots.txt" and request.meta.get("dont_obey_robotstxt"):
                request.meta["download_maxsize"] = self.robots_maxsize


def url_trap(url: str, max_length: int, max_segments: int, max_repeats: int) -> tuple[str, str] | None:
    """``(reason, detail)`` when an URL looks like a crawl trap, else None."""
    if max_length and len(url) > max_length:
        return "url_too_long", f"{len(url)} characters > {max_length}"
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if max_segments and len(segments) > max_segments:
        return "too_many_segments", f"{len(segments)} path segments > {max_segments}"
    if max_repeats:
        counts: dict[str, int] = {}
        for segment in segments:
            counts[segment] = counts.get(segment, 0) + 1
            if counts[segment] > max_repeats:
                return "repeated_segment", f"path segment {segment!r} repeated {counts[segment]} times"
    return None


# --- retries with back-off and Retry-After ---------------------------------------

def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry (same codes and exceptions), but never immediately: it waits as
    long as ``Retry-After`` asks (up to ``PROVNEWS_RETRY_AFTER_MAX``; longer and it
    gives up at once, since the server asked us to stay away) or, without that
    header, an exponential back-off ``BASE × 2^(n-1)`` with ±50 % jitter, capped at
    ``PROVNEWS_RETRY_BACKOFF_MAX``. The wait holds only this request."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("PROVNEWS_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("PROVNEWS_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("PROVNEWS_RETRY_AFTER_MAX")

    def backoff(self, attempt: int) -> float:
        delay = self.backoff_base * 2 ** max(0, attempt - 1)
        return min(self.backoff_max, delay * random.uniform(0.5, 1.5))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked is not None and asked > self.retry_after_max:
            logger.warning("not retrying %s: Retry-After %.0f s exceeds the %.0f s cap",
                           request.url, asked, self.retry_after_max)
            self.crawler.stats.inc_value("provnews/fetch/retry_after_exceeded")
            return response
        retry = self._retry(request, f"{response.status}")
        if retry is None:
            return response
        attempt = retry.meta.get("retry_times", 1)
        delay = asked if asked is not None else self.backoff(attempt)
        retry.meta["retry_delay"] = delay
        await _sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry", False) or _no_retry(exception, request):
            return None
        if not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            delay = self.backoff(retry.meta.get("retry_times", 1))
            retry.meta["retry_delay"] = delay
            await _sleep(delay)
        return retry


async def _sleep(seconds: float) -> None:
    if seconds <= 0:
        return
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds))


# --- redirects, decompression --------------------------------------------------

class StrictRedirectMiddleware(RedirectMiddleware):
    """Redirects with every stop recorded: ``max_redirects`` (REDIRECT_MAX_TIMES),
    ``redirect_loop`` (Scrapy would leave a loop to the dupefilter, which drops the
    request silently) and ``bad_scheme`` (Scrapy hands the 3xx on unfollowed)."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            result = super().process_response(request, response)
        except IgnoreRequest as exc:
            if isinstance(exc, FetchError):
                raise
            raise refuse(self.crawler, request, "max_redirects",
                         f"more than {self.max_redirect_times} redirects") from exc
        if isinstance(result, Request):
            chain = result.meta.get("redirect_urls", [])
            if _same_url(result.url, chain):
                raise refuse(self.crawler, request, "redirect_loop", f"back to {result.url}")
            return result
        location = response.headers.get("Location")
        if location is not None and 300 <= response.status < 400 and not request.meta.get("dont_redirect"):
            target = location.decode("latin-1", "replace")
            scheme = urlsplit(target).scheme.lower()
            if scheme and scheme not in ("http", "https"):
                raise refuse(self.crawler, request, "bad_scheme", f"redirect to {target[:200]}")
        return result


def _same_url(url: str, chain: list[str]) -> bool:
    key = url.split("#", 1)[0]
    return any(key == seen.split("#", 1)[0] for seen in chain)


class BoundedCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression (output capped at DOWNLOAD_MAXSIZE, or the request's
    ``download_maxsize``), with the bomb recorded as ``decompression_limit``."""

    def __init__(self, stats: Any = None, *, crawler: Any = None):
        super().__init__(stats, crawler=crawler)
        self.crawler = crawler

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            if isinstance(exc, FetchError):
                raise
            raise refuse(self.crawler, request, "decompression_limit", str(exc)) from exc


class ArticleResponseMiddleware:
    """Article responses (requests carrying ``meta["article_url"]``) must be HTML with
    a body, or the extractor never sees them: a 200 of another Content-Type is refused
    as ``unsupported_type``, an empty or tiny one as ``empty_extract``. A response
    without Content-Type passes: extraction sniffs the bytes. Runs after decompression.

    Settings: PROVNEWS_ARTICLE_TYPES, PROVNEWS_MIN_BODY_BYTES.
    """

    def __init__(self, crawler: Any):
        self.crawler = crawler
        self.types = frozenset(t.lower() for t in crawler.settings.getlist("PROVNEWS_ARTICLE_TYPES"))
        self.min_body = crawler.settings.getint("PROVNEWS_MIN_BODY_BYTES")

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArticleResponseMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if "article_url" not in request.meta or response.status != 200:
            return response
        header = response.headers.get("Content-Type", b"").decode("latin-1")
        ctype = header.split(";", 1)[0].strip().lower()
        if ctype and ctype not in self.types:
            raise refuse(self.crawler, request, "unsupported_type", header)
        size = len(response.body.strip())
        if size < self.min_body:
            raise refuse(self.crawler, request, "empty_extract", f"{size} bytes of body")
        return response


# --- robots.txt ----------------------------------------------------------------------

class _RefuseAll:
    """A robots parser that forbids everything: the host is left out of this run and
    each of its URLs refused under ``reason``."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        self.detail = detail

    def allowed(self, url: str, user_agent: Any) -> bool:
        return False


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """robots.txt as Nutch and StormCrawler read it (INV-9), not as Scrapy does:

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
        from scrapy import signals

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
