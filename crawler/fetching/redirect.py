"""Redirects with every stop recorded (too many, loops, other schemes).

Settings read: Scrapy's REDIRECT_ENABLED, REDIRECT_MAX_TIMES.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import (
    IgnoreRequest,
)
from scrapy.http import Response

from crawler.fetching.errors import (
    FetchError,
    refuse,
)

logger = logging.getLogger(__name__)


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
