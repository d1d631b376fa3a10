"""How a fetch that did not happen is recorded: the reason codes, and the error that carries them.

Whenever a request is not fetched, or its
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
import threading
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as txerror

logger = logging.getLogger(__name__)

STAT_PREFIX = "provnews/fetch/error/"


class _Refusals:
    """Host names the resolver refused, so the fetch-outcome middleware can name the
    reason (Twisted only reports "could not resolve")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_host: dict[str, str] = {}

    def add(self, host: str, detail: str) -> None:
        with self._lock:
            self._by_host[host.lower()] = detail

    def get(self, host: str) -> str | None:
        with self._lock:
            return self._by_host.get(host.lower())


REFUSED_HOSTS = _Refusals()


class FetchError(IgnoreRequest):
    """A request that was deliberately not fetched (or not handed on); already recorded."""

    def __init__(self, reason: str, url: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.url = url
        self.detail = detail


def refuse(crawler: Any, request: Request, reason: str, detail: str = "", verb: str = "refused") -> FetchError:
    """Record a limit hit (stat + log line with the URL) and return the exception to raise.
    ``verb``: "failed" for a fetch the network let down (a DNS error, a refused connection,
    a timeout), which is no refusal of ours."""
    crawler.stats.inc_value(STAT_PREFIX + reason)
    logger.warning("fetch %s: %s (%s%s)", verb, request.url, reason, f": {detail}" if detail else "")
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


def no_retry(exc: BaseException, request: Request) -> bool:
    """Failures a retry cannot mend: policy refusals."""
    return isinstance(exc, IgnoreRequest) or reason_for(exc, request).startswith("blocked_")
