"""Decompression with its bomb recorded as ``decompression_limit``.

Settings read: Scrapy's COMPRESSION_ENABLED, DOWNLOAD_MAXSIZE, DOWNLOAD_WARNSIZE.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import (
    IgnoreRequest,
)
from scrapy.http import Response

from crawler.fetching.errors import (
    FetchError,
    refuse,
)

logger = logging.getLogger(__name__)


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
