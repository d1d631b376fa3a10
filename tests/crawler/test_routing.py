"""Route choice (crawler.discovery.routing): the plan on synthetic histories, and crawls of a copy
of the Báo Lào Cai mirror, whose sitemaps list every article its feed and listing do.

In the crawls N (PROVNEWS_ROUTE_HISTORY_RUNS) is 2, so the third crawl is the first
that may skip a route.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from crawler.discovery.routing import RouteTracker, plan_routes
from crawler.mirror.reconstruct import baolaocai
from crawler.mirror.server import MirrorServer
from tests.conftest import run_cli, stored_urls

ROUTES = ("feed", "sitemap", "listing")


def covered_by_sitemap(fresh: int = 0) -> dict:
    """One run in which the sitemap yielded every URL the feed and the listing did."""
    return dict(sitemap={"state": "ran", "urls": 21, "fresh": fresh, "unique": 21},
               feed={"state": "ran", "urls": 10, "fresh": min(fresh, 10), "unique": 0},
               listing={"state": "ran", "urls": 8, "fresh": fresh, "unique": 0})


# --- the plan ------------------------------------------------------------------------


def test_without_history_every_route_runs_in_the_default_order():
    plan = plan_routes(ROUTES, [], runs_before=0, window=3, audit_every=10)
    assert plan.order == ("sitemap", "feed", "listing") and plan.first == plan.order
    assert plan.mode == "learning"


def test_routes_are_ordered_by_fresh_urls_then_by_urls_then_by_default():
    listing_first = [dict(sitemap={"state": "ran", "urls": 30, "fresh": 2, "unique": 2},
                         feed={"state": "ran", "urls": 10, "fresh": 5, "unique": 3},
                         listing={"state": "ran", "urls": 8, "fresh": 6, "unique": 1})]
    assert plan_routes(ROUTES, listing_first, 1, 3, 10).order == ("listing", "feed", "sitemap")
    # A quiet spell: nothing fresh anywhere, and a route that yields nothing goes last.
    quiet = [dict(sitemap={"state": "ran", "urls": 0, "fresh": 0, "unique": 0},
                 feed={"state": "ran", "urls": 20, "fresh": 0, "unique": 20},
                 listing={"state": "ran", "urls": 40, "fresh": 0, "unique": 20})]
    assert plan_routes(ROUTES, quiet, 1, 3, 10).order == ("listing", "feed", "sitemap")
    tie = [dict(sitemap={"state": "ran", "urls": 5, "fresh": 5, "unique": 5},
               feed={"state": "ran", "urls": 5, "fresh": 5, "unique": 0},
               listing={"state": "ran", "urls": 5, "fresh": 5, "unique": 0})]
    assert plan_routes(ROUTES, tie, 1, 3, 10).order == ("sitemap", "feed", "listing")


def test_routes_redundant_for_the_whole_window_are_skipped_but_never_the_first():
    history = [covered_by_sitemap()] * 3
    plan = plan_routes(ROUTES, history, runs_before=7, window=3, audit_every=10)
    assert plan.order[0] == "sitemap" and plan.first == ("sitemap",)
    assert plan.skipped == {"feed", "listing"} and plan.mode == "planned"
    # The first route's requests go out first.
    assert plan.priority("sitemap") > plan.priority("feed") > plan.priority("listing") > 0


def test_one_run_in_the_window_with_a_unique_url_keeps_the_route():
    feed_found_one = dict(sitemap={"state": "ran", "urls": 21, "fresh": 1, "unique": 21},
                         feed={"state": "ran", "urls": 10, "fresh": 1, "unique": 1},
                         listing={"state": "ran", "urls": 8, "fresh": 1, "unique": 0})
    plan = plan_routes(ROUTES, [covered_by_sitemap(), feed_found_one, covered_by_sitemap()], 7, 3, 10)
    assert plan.skipped == {"listing"}


def test_a_skipped_route_stays_skipped_until_a_run_measures_it_useful():
    skipped = dict(sitemap={"state": "ran", "urls": 21, "fresh": 0, "unique": 21},
                  feed={"state": "skipped"}, listing={"state": "skipped"})
    assert plan_routes(ROUTES, [skipped, skipped, covered_by_sitemap()], 7, 3, 10).skipped == {"feed", "listing"}
    fell_back = dict(sitemap={"state": "ran", "urls": 0, "fresh": 0, "unique": 0},
                    feed={"state": "fallback", "urls": 10, "fresh": 1, "unique": 10},
                    listing={"state": "fallback", "urls": 8, "fresh": 1, "unique": 0})
    assert plan_routes(ROUTES, [fell_back, skipped, skipped], 7, 3, 10).skipped == {"listing"}


def test_no_skipping_short_of_the_window_on_audits_when_forced_or_on_old_records():
    history = [covered_by_sitemap()] * 3
    assert plan_routes(ROUTES, history[:2], 2, 3, 10).skipped == set()
    audit = plan_routes(ROUTES, history, runs_before=10, window=3, audit_every=10)
    assert audit.skipped == set() and audit.mode == "audit"
    forced = plan_routes(ROUTES, history, 7, 3, 10, may_skip=False)
    assert forced.skipped == set() and forced.mode == "forced"
    assert plan_routes(ROUTES, history, 7, window=0, audit_every=10).skipped == set()
    # Runs recorded before route choice have counts but no state: no evidence.
    old = dict(sitemap={"urls": 21, "new": 21}, feed={"urls": 10, "new": 0}, listing={"urls": 8, "new": 0})
    assert plan_routes(ROUTES, [old] * 3, 7, 3, 10).skipped == set()


def test_a_run_answered_304_says_nothing_about_a_route():
    blind = dict(sitemap={"state": "ran", "urls": 21, "fresh": 0, "unique": 21},
                 feed={"state": "ran", "unchanged": 1, "fresh": 0, "unique": 0},
                 listing={"state": "ran", "urls": 8, "unchanged": 1, "fresh": 0, "unique": 0})
    plan = plan_routes(ROUTES, [blind, covered_by_sitemap(), blind], 7, 3, 10)
    assert plan.skipped == {"feed", "listing"}
    assert plan_routes(ROUTES, [blind] * 3, 7, 3, 10).skipped == {"listing"}
    # Nor does it count against a route's yield: the sitemap that answered 304 stays first.
    unchanged_sitemap = dict(sitemap={"state": "ran", "unchanged": 4, "fresh": 0, "unique": 0},
                             listing={"state": "ran", "urls": 30, "fresh": 0, "unique": 30})
    assert plan_routes(ROUTES, [unchanged_sitemap, covered_by_sitemap()], 7, 3, 10).order[0] == "sitemap"


# --- what a run's routes did ------------------------------------------------------------


def tracker() -> RouteTracker:
    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings({"STATS_DUMP": False})))
    return RouteTracker(SimpleNamespace(stats=stats))


def route_request(route: str, **meta: object) -> Request:
    return Request("https://example.vn/x", meta={"route": route, **meta})


def test_a_failure_or_a_dry_route_calls_for_the_skipped_routes():
    plan = plan_routes(ROUTES, [covered_by_sitemap()] * 3, 7, 3, 10)
    failed = tracker()
    failed.fetch_failed(route_request("sitemap"), "http_500")
    assert failed.fallback(plan, {"sitemap"}) == ("feed", "listing")
    assert failed.stats.get_value("provnews/route/feed/state") == "fallback"
    unusable = tracker()
    unusable.stats.inc_value("provnews/route/sitemap/error/not_xml")
    assert unusable.fallback(plan, {"sitemap"}) == ("feed", "listing")
    dry = tracker()
    dry.response_received(Response("https://example.vn/x", status=200), route_request("sitemap"))
    assert dry.fallback(plan, {"sitemap"}) == ("feed", "listing")


def test_no_fallback_for_a_304_a_listing_end_an_article_failure_or_a_route_that_yielded():
    plan = plan_routes(ROUTES, [covered_by_sitemap()] * 3, 7, 3, 10)
    quiet = tracker()
    quiet.response_received(Response("https://example.vn/x", status=304), route_request("sitemap"))
    quiet.fetch_failed(route_request("sitemap"), "http_304")
    quiet.fetch_failed(route_request("listing", page=4), "http_404")
    quiet.fetch_failed(route_request("sitemap", article_url="https://example.vn/a-1.html"), "http_500")
    assert quiet.fallback(plan, {"sitemap", "listing"}) == ()
    found = tracker()
    found.response_received(Response("https://example.vn/x", status=200), route_request("sitemap"))
    found.saw("sitemap", ["a"])
    assert found.fallback(plan, {"sitemap"}) == ()


def test_unique_urls_are_counted_in_plan_order_and_fresh_ones_against_the_database():
    plan = plan_routes(ROUTES, [], 0, 3, 10)  # sitemap > feed > listing
    measured = tracker()
    measured.saw("listing", ["a", "b", "c"])
    measured.saw("feed", ["a", "d"])
    measured.saw("sitemap", ["a", "b"])
    measured.record(plan, set(ROUTES), settled={"a"})
    value = measured.stats.get_value
    assert [value(f"provnews/route/{r}/unique") for r in ("sitemap", "feed", "listing")] == [2, 1, 1]
    assert [value(f"provnews/route/{r}/fresh") for r in ("sitemap", "feed", "listing")] == [1, 1, 2]


# --- crawls ------------------------------------------------------------------------------

ALL = {baolaocai.url(a) for a in baolaocai.load("baolaocai")}
NEWEST = {baolaocai.url(a) for a in baolaocai.load("baolaocai")[:3]}
FEED, LISTING, INDEX = "/rss/home.rss", "/review-lao-cai/", "/sitemaps/sitemap.xml"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Báo Lào Cai as it was before its three newest articles."""
    root = tmp_path / "sites" / "baolaocai.vn"
    baolaocai.build(root, keep=lambda a: baolaocai.url(a) not in NEWEST)
    return root


@pytest.fixture
def serve(site: Path, start_mirror):
    return lambda: start_mirror(site.parent)


def crawl(server: MirrorServer, db: Path, *args: str, audit_every: int = 0, outcome: int = 0) -> dict:
    """One crawl; the mirror's hit counts of that crawl alone, by path. ``outcome``: the
    exit code expected (7, partial, when a route fails)."""
    server.hits.clear()
    env = {"PROVNEWS_ROUTE_HISTORY_RUNS": "2", "PROVNEWS_ROUTE_AUDIT_EVERY": str(audit_every)}
    result = run_cli("crawl", "baolaocai", *args, "--mirror", server.url, "--db", f"sqlite:///{db}", env=env)
    assert result.returncode == outcome, result.stderr[-2000:]
    return {path: n for (host, path), n in server.hits.items() if host == "baolaocai.vn"}


def routes_of(db: Path, run: int = -1) -> dict:
    """crawl_runs.routes of the run-th run (-1: the latest)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT routes FROM crawl_runs ORDER BY id").fetchall()
    return json.loads(rows[run][0])


def test_routes_the_sitemap_made_redundant_are_skipped_then_audited(site: Path, serve, tmp_path: Path):
    server, db = serve(), tmp_path / "db.sqlite"
    for _ in range(2):
        hits = crawl(server, db, audit_every=3)
        assert hits.get(FEED) == 1 and hits.get(LISTING) == 1
    first = routes_of(db, 0)
    assert (first["sitemap"]["unique"], first["feed"]["unique"], first["listing"]["unique"]) == (18, 0, 0)
    baolaocai.build(site)  # three new articles, in the sitemaps, the feed and the listing
    hits = crawl(server, db, audit_every=3)
    assert FEED not in hits and LISTING not in hits and hits[INDEX] == 1
    assert stored_urls(db) == ALL
    health = json.loads(run_cli("sources", "health", "--runs", "3", "--format", "json", "--db",
                                f"sqlite:///{db}").stdout)
    row = next(r for r in health if r["outlet"] == "baolaocai")
    assert row["order"][0] == "sitemap" and set(row["skipped"]) == {"feed", "listing"} and not row["fallback"]
    hits = crawl(server, db, audit_every=3)  # the fourth run: an audit
    assert hits.get(FEED) == 1 and hits.get(LISTING) == 1
    assert {r["state"] for r in routes_of(db).values() if "state" in r} == {"ran"}
    hits = crawl(server, db, "--since", "2000-01-01", audit_every=3)  # a backfill skips nothing
    assert hits.get(FEED) == 1 and hits.get(LISTING) == 1


def break_index(site: Path, how: str) -> None:
    index = site / "sitemaps" / "sitemap.xml"
    if how == "http_500":
        with (site / "routes.tsv").open("a", encoding="utf-8") as routes:
            routes.write(f"{INDEX}\tsitemaps/sitemap.xml\t500\ttext/html\n")
    elif how == "maintenance_page":  # served 200, but HTML: no sitemap to read, even leniently
        index.write_text("<html><body><h1>Hệ thống đang bảo trì</h1></body></html>", encoding="utf-8")
    else:  # dry: a well-formed sitemap that lists nothing
        index.write_text('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>',
                         encoding="utf-8")


@pytest.mark.parametrize("how", ["http_500", "maintenance_page", "dry"])
def test_when_the_sitemap_fails_the_skipped_routes_run_in_the_same_crawl(site: Path, serve, tmp_path: Path,
                                                                          how: str):
    server, db = serve(), tmp_path / "db.sqlite"
    for _ in range(2):
        crawl(server, db)
    baolaocai.build(site)
    break_index(site, how)
    server = serve()  # reads the site's routes.tsv afresh
    # A failed sitemap makes the run partial even though the fallback finds everything;
    # a dry one (fetched fine, nothing in it) does not.
    hits = crawl(server, db, outcome=0 if how == "dry" else 7)
    assert hits.get(FEED) == 1 and hits.get(LISTING) == 1
    # The listing finds the new articles on its first page; its walk stops there.
    assert stored_urls(db) == ALL
    routes = routes_of(db)
    assert (routes["sitemap"]["state"], routes["feed"]["state"], routes["listing"]["state"]) == \
        ("ran", "fallback", "fallback")
    health = json.loads(run_cli("sources", "health", "--runs", "3", "--format", "json", "--db",
                                f"sqlite:///{db}").stdout)
    row = next(r for r in health if r["outlet"] == "baolaocai")
    assert set(row["fallback"]) == {"feed", "listing"} and row["fallback_runs"] == 1
