"""The one generic spider: a registry entry in, article records out.

Routes (each usable alone): the outlet's feeds, its sitemaps (with nested indexes)
and its listing pages with their pagination. Only URLs matching the outlet's
``article_url_pattern`` are fetched as articles, each once per run whichever
routes found it.

Every article URL goes through the frontier (storage.crawlstate): discovered URLs
are recorded, leased to this run, and settled when stored, dropped or failed; URLs
left pending or leased by a killed run are fetched first, and those whose page it had
already fetched are read back from the archive instead (``Frontier.reusable``,
crawler.archive.middleware); stored and gone URLs are never fetched again.

Settings read: PROVNEWS_SOURCES, PROVNEWS_SINCE, PROVNEWS_MAX_LISTING_PAGES,
PROVNEWS_DATABASE_URL, PROVNEWS_LEASE_SECONDS, PROVNEWS_RECHECK_DAYS,
PROVNEWS_RECHECK_AFTER_HOURS, PROVNEWS_ROUTE_HISTORY_RUNS, PROVNEWS_ROUTE_AUDIT_EVERY,
PROVNEWS_EXTRACT_WORKERS (pages are extracted off the reactor: crawler.spiders.pool).
Which routes run, in what order, and the fallback to skipped ones: crawler.discovery.routing.
Conditional requests for feeds, sitemaps and first listing pages: crawler.fetching.conditional.
Stats written: ``provnews/route/<route>/urls`` and ``.../new`` (article URLs a route
yielded, and how many no other route had yielded first), ``provnews/route/<route>/error/<reason>``,
``provnews/fetch/error/<reason>``, ``provnews/extract/error/<reason>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from sqlalchemy.orm import Session
from twisted.python.failure import Failure

from crawler.archive.middleware import META_KEY as ARCHIVE_META
from crawler.archive.middleware import REUSE_META
from crawler.core.archive import ArchiveRef
from crawler.core.registry import Outlet, load_registry
from crawler.core.signals import fetch_failed as fetch_failed_signal
from crawler.core.signals import page_rejected
from crawler.core.urls import url_key
from crawler.discovery.documents import (
    MAX_XML_BYTES,
    DiscoveryError,
    Entry,
    feed_links,
    listing_entries,
    next_page_link,
    parse_feed,
    parse_sitemap,
)
from crawler.discovery.routing import RoutePlan, RouteTracker, plan_routes
from crawler.extraction import ExtractionError
from crawler.fetching.conditional import REQUEST_META, Revalidation
from crawler.fetching.errors import FetchError
from crawler.frontier import Frontier
from crawler.spiders.pool import ExtractPool, WorkerLost
from storage import crawlstate

MAX_SITEMAP_DEPTH = 5
# Record notes on how a page was decoded that are worth a log line and a stat.
NOTES_LOGGED = ("encoding_conflict", "mojibake", "legacy_font")
ROUTES = ("feed", "sitemap", "listing")
ROUTE_PRIORITY = 10


class ArticleSpiderMixin:
    """Fetch-and-extract shared by the outlet spider and the one-off URL spider."""

    outlet: Outlet | None
    frontier: Frontier | None = None  # None: a one-off scrape keeps no frontier rows
    pool: ExtractPool

    def article_request(self, url: str, route: str, entry: Entry | None = None,
                        reuse: ArchiveRef | None = None) -> scrapy.Request:
        meta: dict[str, Any] = {"route": route, "article_url": url}
        if reuse is not None:
            meta[REUSE_META] = reuse
        if entry is not None and entry.published is not None:
            meta["fallback_date"] = (entry.published, f"{route}:date")
        if self.outlet is not None and self.outlet.robots == "ignore":
            meta["dont_obey_robotstxt"] = True
        return scrapy.Request(url, callback=self.parse_article, errback=self.fetch_failed, meta=meta)

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        outlet = response.meta.get("outlet", self.outlet)
        if _redirected_home(response):
            # How many CMSs retire an article: its content stays ours, marked gone.
            self._reject(response, "redirected_home", "gone", vanished=True)
            return
        try:
            record = await self.pool.extract(
                response.body, response.url,
                content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None,
                outlet=outlet, fallback_date=response.meta.get("fallback_date"),
            )
        except ExtractionError as exc:
            self.crawler.stats.inc_value(f"provnews/extract/error/{exc.reason}")
            self.logger.warning("not an article: %s (%s: %s)", response.url, exc.reason, exc)
            self._reject(response, f"not_article:{exc.reason}", "gone")
            return
        except WorkerLost as exc:
            self.crawler.stats.inc_value("provnews/extract/error/worker_lost")
            self.logger.warning("extraction worker lost on %s: %s (retried later)", response.url, exc)
            self._reject(response, "not_extracted:worker_lost", "failed")
            return
        for note in record.notes:
            if note.startswith(NOTES_LOGGED):
                self.crawler.stats.inc_value(f"provnews/extract/{note.split(':', 1)[0]}")
                self.logger.info("decoding of %s: %s (used %s)", response.url, note, record.encoding)
        record.fetched_at = datetime.now(UTC)
        record.request_url = response.meta["article_url"]
        record.archive = response.meta.get(ARCHIVE_META)
        yield record

    def fetch_failed(self, failure: Failure) -> None:
        reason, status = _failure_reason(failure)
        request = failure.request
        meta = request.meta
        self.crawler.signals.send_catch_log(fetch_failed_signal, request=request, reason=reason, status=status)
        if reason == "http_404" and meta.get("route") == "listing" and meta.get("page", 1) > 1:
            # A paginated listing ends where its template runs past the last page.
            self.crawler.stats.inc_value("provnews/route/listing/end")
            self.frontier.walk_completed(meta["walk"])
            return
        if not isinstance(failure.value, FetchError):  # a FetchError was recorded where it arose
            self.crawler.stats.inc_value(f"provnews/fetch/error/{reason}")
            self.logger.warning("fetch failed: %s (%s)", request.url, reason)
        if "article_url" in meta:
            # A client error, or a body that is not a web page (a PDF, an image), will
            # not become an article by asking again.
            permanent = (status is not None and 400 <= status < 500 and status not in (408, 429)
                         or reason == "unsupported_type")
            self._settle(meta["article_url"], "gone" if permanent else "failed", reason,
                         vanished=status in (404, 410))

    def _reject(self, response: Response, reason: str, state: str, vanished: bool = False) -> None:
        """A page that came back but holds no article: the reason goes on its fetch_log row."""
        self.crawler.signals.send_catch_log(page_rejected, url=response.url, reason=reason)
        self._settle(response.meta["article_url"], state, reason, vanished)

    def _settle(self, url: str, state: str, reason: str, vanished: bool = False) -> None:
        if self.frontier is not None:
            self.frontier.settle(url, state, reason, vanished)


def _redirected_home(response: Response) -> bool:
    """An article URL answered by a redirect to the site's home page."""
    chain = response.meta.get("redirect_urls")
    return bool(chain) and urlsplit(response.url).path in ("", "/") and urlsplit(chain[0]).path not in ("", "/")


def _failure_reason(failure: Failure) -> tuple[str, int | None]:
    """A short reason code and the HTTP status, if a response came back."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"http_{response.status}", response.status
    return getattr(failure.value, "reason", None) or type(failure.value).__name__, None


class OutletSpider(ArticleSpiderMixin, scrapy.Spider):
    name = "outlet"

    def __init__(self, outlet: str, routes: str | list[str] | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.outlet_key = outlet
        # Routes the caller names (--route) all run; without, crawler.discovery.routing plans them.
        self.forced_routes = routes is not None
        self.requested = set(routes.split(",") if isinstance(routes, str) else routes or ROUTES)
        if not self.requested <= set(ROUTES):
            raise ValueError(f"unknown route(s) {sorted(self.requested - set(ROUTES))}; choose from {ROUTES}")
        self.routes: set[str] = set()  # the routes running: the plan's first ones, then any fallback

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        registry = load_registry(crawler.settings.get("PROVNEWS_SOURCES"))
        if spider.outlet_key not in registry:
            raise ValueError(f"unknown outlet {spider.outlet_key!r}")
        spider.outlet = registry[spider.outlet_key]
        since = crawler.settings.get("PROVNEWS_SINCE")
        spider.since = date.fromisoformat(since) if since else None
        spider.max_listing_pages = crawler.settings.getint("PROVNEWS_MAX_LISTING_PAGES")
        spider.allowed_domains = [spider.outlet.host]
        spider.feeds_requested: set[str] = set(spider.outlet.feeds)
        spider.walk_seen: dict[Any, set[str]] = {}
        spider.recheck_days = crawler.settings.getfloat("PROVNEWS_RECHECK_DAYS")
        spider.recheck_after = timedelta(hours=crawler.settings.getfloat("PROVNEWS_RECHECK_AFTER_HOURS"))
        spider.frontier = Frontier.from_crawler(crawler)
        spider.pool = ExtractPool.for_crawler(crawler)
        spider.revalidation = Revalidation.from_crawler(crawler, spider.frontier.database, spider.outlet.key,
                                                        spider.frontier.mirror)
        spider.sitemaps_requested: set[str] = set(spider.outlet.sitemaps)
        spider.history_runs = crawler.settings.getint("PROVNEWS_ROUTE_HISTORY_RUNS")
        spider.audit_every = crawler.settings.getint("PROVNEWS_ROUTE_AUDIT_EVERY")
        spider.tracker = RouteTracker.from_crawler(crawler)
        crawler.signals.connect(spider.robots_parsed, signals.robots_parsed)
        crawler.signals.connect(spider.spider_idle, signals.spider_idle)
        return spider

    def robots_parsed(self, robotparser: Any, request: scrapy.Request, **_: Any) -> None:
        """Sitemaps that robots.txt names (``Sitemap:`` lines) join the sitemap route."""
        if "sitemap" in self.routes and urlsplit(request.url).hostname == self.outlet.host:
            for sitemap in self._robots_sitemaps(getattr(getattr(robotparser, "rp", None), "sitemaps", ())):
                self.crawler.engine.crawl(sitemap)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._robots_sitemaps(Protego.parse(response.text).sitemaps)

    def _robots_sitemaps(self, urls: Any) -> Iterator[scrapy.Request]:
        for url in urls:
            if url not in self.sitemaps_requested and urlsplit(url).hostname == self.outlet.host:
                self.sitemaps_requested.add(url)
                self.crawler.stats.inc_value("provnews/route/sitemap/from_robots")
                yield self._sitemap_request(url, depth=0)

    async def start(self) -> AsyncIterator[Any]:
        if self.outlet.robots == "ignore":
            self.logger.warning("outlet %s is configured to IGNORE robots.txt", self.outlet.key)
        snapshot = self.frontier.snapshot(
            self.outlet.key, timedelta(days=self.recheck_days) if self.recheck_days else None, self.recheck_after)
        self.settled, self.completed_walks = snapshot.settled, snapshot.completed_walks
        due, recheck = snapshot.due, snapshot.recheck
        with self.frontier.database.read_session() as session:
            self.plan = self._plan(session)
        if due:
            # Left by an earlier run (killed, or failed and due again): fetch them first.
            self.logger.info("%d article URL(s) due from the frontier", len(due))
            for request in self._lease("frontier", [(url_key(url), Entry(url)) for url in due.values()]):
                yield request
        for url in recheck:
            # Recent articles are fetched again now and then: newsrooms edit after publishing.
            self.crawler.stats.inc_value("provnews/route/recheck/urls")
            yield self.article_request(url, "recheck")
        self.routes.update(self.plan.first)
        for route in self.plan.first:
            for request in self._route_starts(route, read_robots=self.routes == {"sitemap"}):
                yield request

    def _plan(self, session: Session) -> RoutePlan:
        key, mirror = self.outlet.key, self.frontier.mirror  # a mirror's runs teach only mirror crawls
        history = [run.routes for run in crawlstate.finished_runs(session, key, self.history_runs, mirror)]
        plan = plan_routes(self.requested, history, crawlstate.count_finished_runs(session, key, mirror),
                           self.history_runs, self.audit_every, may_skip=not (self.forced_routes or self.since))
        self.tracker.begin(plan)
        self.logger.info("routes of %s: %s (%s), skipping %s", self.outlet.key, " > ".join(plan.order),
                         plan.mode, sorted(plan.skipped) or "none")
        return plan

    def spider_idle(self) -> None:
        """All started work is done: run the skipped routes if one that ran failed or
        went dry, else record what each route found."""
        fallback = self.tracker.fallback(self.plan, self.routes)
        if not fallback:
            self.tracker.record(self.plan, self.routes, self.settled)
            return
        self.logger.warning("a route of %s failed or went dry: falling back to %s", self.outlet.key, fallback)
        self.routes.update(fallback)
        for route in fallback:
            # robots.txt was read while the sitemap route was off: read it again for its Sitemap: lines.
            for request in self._route_starts(route, read_robots=True):
                self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def _route_starts(self, route: str, read_robots: bool) -> Iterator[scrapy.Request]:
        """The first requests of one route."""
        if route == "feed":
            for url in self.outlet.feeds:
                yield self._route_request(url, self.parse_feed, "feed")
        if route == "sitemap":
            for url in self.outlet.sitemaps:
                yield self._sitemap_request(url, depth=0)
            if read_robots and not self.outlet.sitemaps:
                # Nothing else will make the robots.txt middleware read robots.txt, and its
                # Sitemap: lines are the only way to this outlet's sitemaps: read it here.
                yield self._route_request(self.outlet.base_url + "/robots.txt", self.parse_robots,
                                          "sitemap", dont_obey_robotstxt=True)
        if route == "listing":
            for index, listing in enumerate(self.outlet.listings):
                yield self._route_request(listing.url, self.parse_listing, "listing", listing=index, page=1,
                                          walk=url_key(listing.url))
        if route == "listing" and not (self.outlet.feeds or self.outlet.sitemaps or self.outlet.listings):
            # An outlet known only by its address: its home page is its one listing.
            home = self.outlet.base_url + "/"
            yield self._route_request(home, self.parse_listing, "listing", listing=None, page=1, walk=url_key(home))

    def _sitemap_request(self, url: str, depth: int) -> scrapy.Request:
        request = self._route_request(url, self.parse_sitemap, "sitemap", depth=depth)
        # Sitemaps may be up to 50 MiB by protocol; pages keep the lower DOWNLOAD_MAXSIZE.
        request.meta["download_maxsize"] = MAX_XML_BYTES
        return request

    def _route_request(self, url: str, callback: Any, route: str, **meta: Any) -> scrapy.Request:
        meta["route"] = route
        if self.outlet.robots == "ignore":
            meta["dont_obey_robotstxt"] = True
        headers = self._validators(url, callback, meta)
        # Discovery before articles: a walk that advances slowly is a long window in which
        # a killed run leaves URLs undiscovered.
        return scrapy.Request(url, callback=callback, errback=self.fetch_failed, meta=meta, headers=headers,
                              dont_filter=True, priority=ROUTE_PRIORITY + self.plan.priority(route))

    def _validators(self, url: str, callback: Any, meta: dict[str, Any]) -> dict[str, str]:
        """Entry points (feeds, sitemaps, first listing pages) may be answered 304 and
        are asked conditionally, except a listing whose last walk was not completed:
        that walk must be finished, so its first page is read again."""
        listing_start = callback == self.parse_listing and meta["page"] == 1
        if not (listing_start or callback in (self.parse_feed, self.parse_sitemap)):
            return {}
        meta.update(REQUEST_META)
        if listing_start and meta["walk"] not in self.completed_walks:
            return {}
        return self.revalidation.headers(url)

    # --- routes -----------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        if self.revalidation.not_modified(response):
            return
        try:
            feed = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self._route_error("feed", response.url, exc)
            return
        self._note_recovered("feed", response.url, feed.recovered)
        yield from self._articles("feed", feed.entries)
        self.revalidation.fetched(response, "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        depth = response.meta["depth"]
        if self.revalidation.not_modified(response):
            # An unchanged index: its sitemaps may have changed all the same.
            unasked = [url for url in self.revalidation.children(response) if url not in self.sitemaps_requested]
            self.sitemaps_requested.update(unasked)
            yield from self._child_sitemaps(unasked, depth)
            return
        try:
            sitemap = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self._route_error("sitemap", response.url, exc)
            return
        self._note_recovered("sitemap", response.url, sitemap.recovered)
        children = []
        for child in sitemap.children:
            if not self.outlet.owns(child):
                self._route_error("sitemap", child, DiscoveryError("offsite", "sitemap on another site"))
                continue
            children.append(child)
        yield from self._child_sitemaps(children, depth)
        yield from self._articles("sitemap", sitemap.urls)
        # An index naming itself is not its own child.
        self.revalidation.fetched(response, "sitemap", [c for c in children if url_key(c) != url_key(response.url)])

    def _child_sitemaps(self, urls: list[str], depth: int) -> Iterator[scrapy.Request]:
        for child in urls:
            if depth + 1 > MAX_SITEMAP_DEPTH:
                self._route_error("sitemap", child, DiscoveryError("too_deep", "sitemap nesting too deep"))
                continue
            yield self._sitemap_request(child, depth + 1)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        page, walk_key = response.meta["page"], response.meta["walk"]
        if self.revalidation.not_modified(response):
            # A first page unchanged since its completed walk: nothing new down the walk.
            if "feed" in self.routes:
                yield from self._feed_requests(self.revalidation.children(response))
            return
        feeds = None
        if page == 1:
            self.frontier.walk_started(walk_key, response.url, self.outlet.key)
            if "feed" in self.routes:
                feeds = self._advertised_feeds(response)
                yield from self._feed_requests(feeds)
        entries = listing_entries(response.text, response.url, self.outlet.is_article_url, self.outlet.tz)
        yield from self._articles("listing", entries)
        if page == 1:
            self.revalidation.fetched(response, "listing", feeds)
        stop = self._walk_stop(response, entries)
        if stop is None and page >= self.max_listing_pages:
            stop = "page_cap"
        next_url = None if stop else self._next_listing_url(response)
        if next_url is None:
            self.crawler.stats.inc_value(f"provnews/route/listing/{stop or 'last_page'}")
            self.frontier.walk_completed(walk_key)
            return
        yield self._route_request(next_url, self.parse_listing, "listing", listing=response.meta["listing"],
                                  page=page + 1, walk=walk_key)

    def _walk_stop(self, response: Response, entries: list[Entry]) -> str | None:
        """Why the walk ends at this page, or None to go on.

        Nothing this walk has not seen (a loop, or a pager that repeats its last page)
        always ends it. Nothing the database does not hold ends it only when the
        listing's previous walk was completed: a walk killed half-way must be walked
        to the end, or the articles beyond where it stopped would never be found.
        """
        walk = self.walk_seen.setdefault(response.meta["walk"], set())
        keys = {url_key(e.url) for e in entries}
        unseen = keys - walk
        walk.update(keys)
        if not unseen:
            self.logger.info("listing %s brings nothing this walk has not seen: stop", response.url)
            return "nothing_new_stop"
        if not unseen - self.settled and response.meta["walk"] in self.completed_walks:
            self.logger.info("listing %s brings no article the database lacks: stop", response.url)
            return "nothing_new_stop"
        if self._all_older_than_since(entries):
            self.logger.info("listing %s holds only articles older than %s: stop", response.url, self.since)
            return "since_stop"
        return None

    def _all_older_than_since(self, entries: list[Entry]) -> bool:
        dated = [e.published for e in entries if e.published]
        return bool(self.since and dated and max(dated).date() < self.since)

    def _advertised_feeds(self, response: Response) -> list[str]:
        """Feeds on the outlet's host a section page advertises (autodiscovery)."""
        return [url for url in feed_links(response.text, response.url) if urlsplit(url).hostname == self.outlet.host]

    def _feed_requests(self, urls: list[str]) -> Iterator[scrapy.Request]:
        """Autodiscovered feeds, fetched once each."""
        for url in urls:
            if url not in self.feeds_requested:
                self.feeds_requested.add(url)
                self.crawler.stats.inc_value("provnews/route/feed/autodiscovered")
                yield self._route_request(url, self.parse_feed, "feed")

    def _next_listing_url(self, response: Response) -> str | None:
        listing = response.meta["listing"]
        template = self.outlet.listings[listing].pagination if listing is not None else None
        if template:
            return template.format(page=response.meta["page"] + 1)
        return next_page_link(response.text, response.url)

    # --- helpers ----------------------------------------------------------------

    def _articles(self, route: str, entries: list[Entry]) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        # Keyed once: the pattern, the site check and url_key's canonicalisation are the
        # costly part of reading a sitemap of thousands of entries.
        keyed = [(url_key(e.url), e) for e in entries if self.outlet.is_article_url(e.url)]
        self.tracker.saw(route, (key for key, _ in keyed))
        wanted = []
        for key, entry in keyed:
            stats.inc_value(f"provnews/route/{route}/urls")
            if self.since and entry.published and entry.published.date() < self.since:
                stats.inc_value(f"provnews/route/{route}/older_than_since")
                continue
            if key in self.settled:
                stats.inc_value(f"provnews/route/{route}/known")
                continue
            wanted.append((key, entry))
        yield from self._lease(route, wanted)

    def _lease(self, route: str, keyed: list[tuple[str, Entry]]) -> Iterator[scrapy.Request]:
        """Record the (url_key, entry) pairs in the frontier and request those leased to
        this run now (an URL another route already leased in this run is not leased twice)."""
        by_key = dict(keyed)
        leased = self.frontier.enrol(self.outlet.key, self.run_id, {k: e.url for k, e in by_key.items()})
        # URLs taken over from a killed run: its pages already fetched are read from the archive.
        archived = self.frontier.reusable(sorted(leased)) if route == "frontier" else {}
        for key, entry in by_key.items():
            if key in leased:
                self.crawler.stats.inc_value(f"provnews/route/{route}/new")
                yield self.article_request(entry.url, route, entry, archived.get(key))

    def _note_recovered(self, route: str, url: str, problem: str | None) -> None:
        """A malformed document read in recover mode: its intact entries are used, and
        the breakage is recorded (``xml_recovered`` on its fetch_log row), not hidden."""
        if problem is None:
            return
        self.crawler.stats.inc_value(f"provnews/route/{route}/recovered")
        self.logger.warning("%s malformed, intact entries used: %s (xml_recovered: %s)", route, url, problem)
        self.crawler.signals.send_catch_log(page_rejected, url=url, reason="xml_recovered")

    def _route_error(self, route: str, url: str, exc: DiscoveryError) -> None:
        self.crawler.stats.inc_value(f"provnews/route/{route}/error/{exc.reason}")
        self.logger.warning("%s unusable: %s (%s: %s)", route, url, exc.reason, exc)
