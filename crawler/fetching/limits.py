"""Per-request limits checked before anything is sent (crawl traps, size caps).

Settings read: URLLENGTH_LIMIT, PROVNEWS_MAX_URL_SEGMENTS, PROVNEWS_MAX_SEGMENT_REPEATS,
PROVNEWS_SITEMAP_MAXSIZE, PROVNEWS_ROBOTS_MAXSIZE.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.utils.httpobj import urlparse_cached

from crawler.fetching.errors import (
    refuse,
)

logger = logging.getLogger(__name__)


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
