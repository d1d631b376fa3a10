"""One-off spider: fetch, extract and store the URLs given on the command line.

Each URL is attributed to the registry outlet serving its host, if any, so the
outlet's timezone and selectors apply; other URLs are extracted generically.

Settings read: PROVNEWS_SOURCES, PROVNEWS_EXTRACT_WORKERS (crawler.spiders.pool).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy

from crawler.core.registry import load_registry, outlet_for_url
from crawler.spiders.outlet import ArticleSpiderMixin
from crawler.spiders.pool import ExtractPool


class UrlSpider(ArticleSpiderMixin, scrapy.Spider):
    name = "urls"

    def __init__(self, urls: str | list[str], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.urls = urls.split(",") if isinstance(urls, str) else list(urls)
        self.outlet = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.registry = load_registry(crawler.settings.get("PROVNEWS_SOURCES"))
        spider.pool = ExtractPool.for_crawler(crawler)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            request = self.article_request(url, "scrape")
            request.meta["outlet"] = outlet_for_url(self.registry, url)
            yield request

