"""Download handler that sends every request to a local mirror instead of the live site.

Reads ``PROVNEWS_MIRROR_URL``. The request keeps its real URL everywhere above the
download handler (robots.txt, dupefilter, URL patterns, stored URLs); only the TCP
connection goes to the mirror, with a ``Host`` header naming the real host. That is
what makes a mirror crawl exercise exactly the code of a live crawl.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response


def to_mirror(url: str, mirror: str) -> str:
    """``https://baolangson.vn/a?b`` → ``http://127.0.0.1:PORT/a?b``."""
    real, origin = urlsplit(url), urlsplit(mirror)
    return urlunsplit((origin.scheme, origin.netloc, real.path or "/", real.query, ""))


class MirrorDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler):
        self.mirror = crawler.settings.get("PROVNEWS_MIRROR_URL")
        if not self.mirror:
            raise NotConfigured("PROVNEWS_MIRROR_URL is not set")
        super().__init__(crawler)

    async def download_request(self, request: Request) -> Response:
        host = urlsplit(request.url).hostname or ""
        mirrored = request.replace(url=to_mirror(request.url, self.mirror))
        mirrored.headers["Host"] = host
        response = await super().download_request(mirrored)
        return response.replace(url=request.url)
