"""Route choice: which discovery routes a crawl runs, in what order, and when it falls back.

Every finished run records per route, in ``crawl_runs.routes`` (through the ledger):
``urls`` (article URLs the route yielded), ``new`` (those it leased first), ``fresh``
(those the database did not hold when the run began), ``unique`` (those no route ranked
above it yielded in that run), ``unchanged`` (its 304 Not Modified answers), ``rank`` and
``state`` (ran | skipped | fallback). A route that yielded nothing because it was
answered 304 saw nothing: that run says nothing about it either way.

The plan of a run, from the outlet's last N finished runs:

- **Order**: by mean ``fresh`` per run, then by mean ``urls`` (in a quiet spell nothing is
  fresh, and a route that yields URLs must still outrank one that yields none), then the
  default order sitemap → feed → listing. Earlier routes get a higher request priority.
- **Skip**: a route below the first is skipped when, in each of the last N runs, it was
  redundant (ran, and every URL it yielded a route above it yielded too), skipped or
  answered 304 only, and at least once redundant or skipped.
  Never with fewer than N runs of history, on every K-th run (an audit: every route is
  measured again), with ``--route`` or with ``--since`` (the caller passes ``may_skip``).
- **Fallback**: when a route that ran fails (a fetch error, or a feed or sitemap that
  cannot be used) or goes dry (it was fetched but yielded no article URL, and was not
  answered 304 Not Modified), the skipped routes run in the same crawl.

The registry has no separate news-sitemap field: a Google News sitemap is reached as
a child of the sitemap index, so it is part of the sitemap route.

Settings read (by the outlet spider): PROVNEWS_ROUTE_HISTORY_RUNS (N; 0 never skips and
keeps the default order), PROVNEWS_ROUTE_AUDIT_EVERY (K; 0 never audits).
Stats written: ``provnews/route/<route>/rank``, ``.../state``, ``.../fresh``,
``.../unique``, ``.../unchanged`` and ``provnews/routing/mode`` (learning | planned | audit | forced).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from crawler.core.signals import fetch_failed as fetch_failed_signal

DEFAULT_ORDER = ("sitemap", "feed", "listing")
RAN, SKIPPED, FALLBACK = "ran", "skipped", "fallback"

RouteHistory = Sequence[Mapping[str, Mapping[str, Any]]]  # crawl_runs.routes, newest run first


@dataclass(frozen=True)
class RoutePlan:
    order: tuple[str, ...]
    skipped: frozenset[str]
    mode: str

    @property
    def first(self) -> tuple[str, ...]:
        """The routes started with the crawl, in order."""
        return tuple(route for route in self.order if route not in self.skipped)

    def priority(self, route: str) -> int:
        """Extra request priority: the first route's requests go out first."""
        return len(self.order) - self.order.index(route) if route in self.order else 0


def plan_routes(routes: Iterable[str], history: RouteHistory, runs_before: int, window: int,
                audit_every: int, may_skip: bool = True) -> RoutePlan:
    """The plan of the next run from the outlet's finished runs (newest first);
    ``runs_before`` counts them all, to place the audit runs."""
    recent = list(history[:window]) if window > 0 else []
    order = rank_routes(routes, recent)
    if not may_skip:
        return RoutePlan(order, frozenset(), "forced")
    if window <= 0 or len(recent) < window:
        return RoutePlan(order, frozenset(), "learning")
    if audit_every > 0 and runs_before % audit_every == 0:
        return RoutePlan(order, frozenset(), "audit")
    skipped = frozenset(r for r in order[1:] if _never_useful(run.get(r) for run in recent))
    return RoutePlan(order, skipped, "planned")


def rank_routes(routes: Iterable[str], history: RouteHistory) -> tuple[str, ...]:
    def key(route: str) -> tuple[float, float, int]:
        measured = [run[route] for run in history if _measured(run.get(route))]
        return -_mean(measured, "fresh"), -_mean(measured, "urls"), _default_index(route)

    return tuple(sorted(routes, key=key))


def _measured(entry: Mapping[str, Any] | None) -> bool:
    # Entries written before route choice have counts but no state: they ran too.
    return entry is not None and entry.get("state") != SKIPPED and not _blind(entry)


def _blind(entry: Mapping[str, Any]) -> bool:
    """Answered 304 and yielded nothing: the route saw nothing this run."""
    return bool(entry.get("unchanged")) and not entry.get("urls")


def _never_useful(entries: Iterable[Mapping[str, Any] | None]) -> bool:
    """Redundant or skipped in every run of the window that was not blind, and not blind in all."""
    seen = [entry for entry in entries if entry is None or not _blind(entry)]
    return bool(seen) and all(_redundant_or_skipped(entry) for entry in seen)


def _redundant_or_skipped(entry: Mapping[str, Any] | None) -> bool:
    # A route missing from a run (absent from --route) or recorded before route choice
    # (no state) is no evidence: it is not skipped on its account.
    if entry is None:
        return False
    state = entry.get("state")
    return state == SKIPPED or (state in (RAN, FALLBACK) and entry.get("unique") == 0)


def _mean(entries: list[Mapping[str, Any]], field: str) -> float:
    return sum(entry.get(field, 0) for entry in entries) / len(entries) if entries else 0.0


def _default_index(route: str) -> int:
    return DEFAULT_ORDER.index(route) if route in DEFAULT_ORDER else len(DEFAULT_ORDER)


def _discovery_route(request: Request) -> str | None:
    """The route of a feed, sitemap or listing request; None for articles and the rest."""
    return None if "article_url" in request.meta else request.meta.get("route")


class RouteTracker:
    """What each discovery route did in this run: the URLs it found, its failures, its 304s."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.found: defaultdict[str, set[str]] = defaultdict(set)
        self.fetched: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RouteTracker:
        tracker = cls(crawler)
        crawler.signals.connect(tracker.response_received, signals.response_received)
        crawler.signals.connect(tracker.fetch_failed, fetch_failed_signal)
        return tracker

    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats  # set only once the crawl starts, after the spider is made

    def response_received(self, response: Response, request: Request, **_: Any) -> None:
        route = _discovery_route(request)
        if route is not None:
            self.fetched[route] += 1
            self.not_modified[route] += response.status == 304

    def fetch_failed(self, request: Request, reason: str, **_: Any) -> None:
        route = _discovery_route(request)
        if route is None or reason == "http_304":
            return
        if reason == "http_404" and request.meta.get("page", 1) > 1:
            return  # a listing template run past the last page: the walk's normal end
        self.failed[route] += 1

    def saw(self, route: str, keys: Iterable[str]) -> None:
        """Article URL keys (settled or not) that ``route`` yielded."""
        self.found[route].update(keys)

    def begin(self, plan: RoutePlan) -> None:
        self.stats.set_value("provnews/routing/mode", plan.mode)
        for rank, route in enumerate(plan.order, start=1):
            self.stats.set_value(f"provnews/route/{route}/rank", rank)
            self.stats.set_value(f"provnews/route/{route}/state", SKIPPED if route in plan.skipped else RAN)

    def fallback(self, plan: RoutePlan, active: set[str]) -> tuple[str, ...]:
        """The skipped routes to run now, because a route that ran failed or went dry."""
        waiting = tuple(route for route in plan.order if route not in active)
        if not waiting or not any(self._failed(route) or self._dry(route) for route in active):
            return ()
        for route in waiting:
            self.stats.set_value(f"provnews/route/{route}/state", FALLBACK)
        return waiting

    def record(self, plan: RoutePlan, active: set[str], settled: set[str]) -> None:
        """Write each route's ``fresh``, ``unique`` (measured in plan order) and ``unchanged`` counts."""
        covered: set[str] = set()
        for route in plan.order:
            if route in active:
                found = self.found[route]
                self.stats.set_value(f"provnews/route/{route}/fresh", len(found - settled))
                self.stats.set_value(f"provnews/route/{route}/unique", len(found - covered))
                self.stats.set_value(f"provnews/route/{route}/unchanged", self.not_modified[route])
                covered |= found

    def _failed(self, route: str) -> bool:
        prefix = f"provnews/route/{route}/error/"
        return bool(self.failed[route]) or any(key.startswith(prefix) for key in self.stats.get_stats())

    def _dry(self, route: str) -> bool:
        return bool(self.fetched[route]) and not self.found[route] and not self.not_modified[route]
