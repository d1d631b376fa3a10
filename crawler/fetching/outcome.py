"""The outermost downloader middleware: every unhandled download failure gets its reason code.

Reads no settings.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request

from crawler.fetching.errors import (
    REFUSED_HOSTS,
    FetchError,
    reason_for,
    refuse,
)

logger = logging.getLogger(__name__)


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
        raise refuse(self.crawler, request, reason, detail, verb="failed") from exception
