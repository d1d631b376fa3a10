"""Download handler that sends every request to a local mirror instead of the live site.

Reads ``PROVNEWS_MIRROR_URL`` and ``PROVNEWS_WORKER``. The request keeps its real URL everywhere above the
download handler (robots.txt, dupefilter, URL patterns, stored URLs); only the TCP
connection goes to the mirror, with a ``Host`` header naming the real host. That is
what makes a mirror crawl exercise exactly the code of a live crawl.

Each request to the mirror also says which crawl process sent it (``X-Provnews-Client``:
the worker, else the host, and the process id), so the mirror's request log can show
that no two crawls of one host ever had requests in flight at once. Live sites never
see this header.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

CLIENT_HEADER = "X-Provnews-Client"


def to_mirror(url: str, mirror: str) -> str:
    """``https://baolangson.vn/a?b`` → ``http://127.0.0.1:PORT/a?b``."""
    real, origin = urlsplit(url), urlsplit(mirror)
    return urlunsplit((origin.scheme, origin.netloc, real.path or "/", real.query, ""))


class MirrorDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler):
        self.mirror = crawler.settings.get("PROVNEWS_MIRROR_URL")
        if not self.mirror:
            raise NotConfigured("PROVNEWS_MIRROR_URL is not set")
        self.client = f"{crawler.settings.get('PROVNEWS_WORKER') or socket.gethostname()}/{os.getpid()}"
        super().__init__(crawler)

    async def download_request(self, request: Request) -> Response:
        host = urlsplit(request.url).hostname or ""
        mirrored = request.replace(url=to_mirror(request.url, self.mirror))
        mirrored.headers["Host"] = host
        mirrored.headers[CLIENT_HEADER] = self.client
        response = await super().download_request(mirrored)
        return response.replace(url=request.url)
