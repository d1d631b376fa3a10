"""Canary spider: does each outlet still answer where the registry says it does?

Fetches robots.txt, every feed, every sitemap and the home page of each outlet
(through the same middlewares as a crawl: robots.txt, limits, politeness) and
records, per URL, the HTTP status and how many article URLs it yields under the
outlet's ``article_url_pattern``. Nothing is stored.

Settings read: PROVNEWS_SOURCES.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.core.registry import Outlet, load_registry
from crawler.discovery.documents import (
    DiscoveryError,
    listing_entries,
    parse_feed,
    parse_sitemap,
)


@dataclass
class Probe:
    outlet: str
    kind: str  # robots | feed | sitemap | home
    url: str
    status: int | None = None
    articles: int | None = None  # article URLs the resource yields
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.problem is None and (self.kind == "robots" or bool(self.articles))


class CheckSpider(scrapy.Spider):
    name = "check"
    custom_settings = {"HTTPERROR_ALLOW_ALL": True, "ITEM_PIPELINES": {}}

    def __init__(self, outlets: list[str], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.outlet_keys = outlets
        self.probes: list[Probe] = []

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):  # noqa: ANN001,ANN206
        spider = super().from_crawler(crawler, *args, **kwargs)
        registry = load_registry(crawler.settings.get("PROVNEWS_SOURCES"))
        spider.outlets = [registry[key] for key in spider.outlet_keys]
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for outlet in self.outlets:
            targets = [("robots", outlet.base_url + "/robots.txt"), ("home", outlet.base_url + "/")]
            targets += [("feed", url) for url in outlet.feeds] + [("sitemap", url) for url in outlet.sitemaps]
            for kind, url in targets:
                probe = Probe(outlet.key, kind, url)
                self.probes.append(probe)
                yield scrapy.Request(url, callback=self.parse_probe, errback=self.probe_failed,
                                     dont_filter=True, meta={"probe": probe, "outlet": outlet,
                                                             "dont_obey_robotstxt": kind == "robots"})

    def parse_probe(self, response: Response) -> None:
        probe: Probe = response.meta["probe"]
        outlet: Outlet = response.meta["outlet"]
        probe.status = response.status
        if response.status != 200 or probe.kind == "robots":
            return
        try:
            probe.articles = len(_article_urls(probe.kind, response, outlet))
        except DiscoveryError as exc:
            probe.problem = exc.reason

    def probe_failed(self, failure: Failure) -> None:
        probe: Probe = failure.request.meta["probe"]
        probe.problem = type(failure.value).__name__


def _article_urls(kind: str, response: Response, outlet: Outlet) -> list[str]:
    """Article URLs the resource yields; for a sitemap index, its child sitemaps."""
    if kind == "feed":
        return [e.url for e in parse_feed(response.body, response.url).entries if outlet.is_article_url(e.url)]
    if kind == "sitemap":
        sitemap = parse_sitemap(response.body, response.url)
        return sitemap.children + [e.url for e in sitemap.urls if outlet.is_article_url(e.url)]
    return [e.url for e in listing_entries(response.text, response.url, outlet.is_article_url)]
