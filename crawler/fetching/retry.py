"""Retries that wait: Retry-After honoured, exponential back-off with jitter otherwise.

Settings read: Scrapy's RETRY_* and PROVNEWS_RETRY_BACKOFF_BASE, PROVNEWS_RETRY_BACKOFF_MAX,
PROVNEWS_RETRY_AFTER_MAX.
"""

from __future__ import annotations

import logging
import random
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.fetching.errors import (
    no_retry,
)

logger = logging.getLogger(__name__)


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
        if request.meta.get("dont_retry", False) or no_retry(exception, request):
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
    # Imported here, not at the top: importing twisted.internet.reactor installs the
    # default reactor, and Scrapy must install its asyncio reactor first.
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds))
