"""Article responses must be HTML with a body before extraction sees them.

Settings read: PROVNEWS_ARTICLE_TYPES, PROVNEWS_MIN_BODY_BYTES.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.fetching.errors import (
    refuse,
)

logger = logging.getLogger(__name__)


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
