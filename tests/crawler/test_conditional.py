"""Conditional requests for entry points (issue 7): an unchanged feed, sitemap or listing
costs a bodiless 304, a changed one is read, and a host whose validators lie is asked
unconditionally from then on.

Each test serves its own copy of the mirror, which answers validators as nginx does;
the lying hosts are mirror sites whose validators never change with the body.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from email.message import Message
from pathlib import Path

from crawler.mirror.reconstruct import baolangson
from crawler.mirror.server import SITES_DIR, MirrorServer, MirrorSite
from tests.conftest import run_cli, stored_urls
from tests.faults.conftest import run_crawl

NEWEST_TEN = {a.url for a in baolangson.load()[:10]}
ALL_ARTICLES = {a.url for a in baolangson.load()}
LANGSON = "baolangson.vn"
LISTINGS = ("/chinh-tri", "/kinh-te", "/xa-hoi", "/van-hoa")


class KeptValidators(MirrorSite):
    """A host whose ETag and Last-Modified never change, and which ignores them when asked."""

    def validators(self, target: str, body: bytes) -> dict[str, str]:
        served = super().validators(target, body)
        return {"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"} if served else {}

    def not_modified(self, request_headers: Message, validators: dict[str, str]) -> bool:
        return False


class AlwaysNotModified(KeptValidators):
    """A host that answers 304 to every conditional request, changed content or not."""

    def not_modified(self, request_headers: Message, validators: dict[str, str]) -> bool:
        return "If-None-Match" in request_headers or "If-Modified-Since" in request_headers


def crawl(server: MirrorServer, db: Path, *outlets: str) -> str:
    result = run_cli("crawl", *outlets, "--mirror", server.url, "--db", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    return result.stderr


def last_run(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM crawl_runs").fetchone()[0]


def fetches(db: Path, after_run: int, up_to_run: int | None = None) -> list[tuple[str, int, int]]:
    """(url, status, bytes) that fetch_log holds for the runs in (after_run, up_to_run]."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT url, status, COALESCE(bytes, 0) FROM fetch_log WHERE run_id > ? AND run_id <= ?",
                            (after_run, up_to_run or 1 << 62)).fetchall()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def host_hits(server: MirrorServer, host: str) -> dict[str, int]:
    return {path: n for (h, path), n in server.hits.items() if h == host}


def test_an_unchanged_recrawl_is_answered_304_for_every_entry_point(sites: Path, serve, tmp_path: Path):
    for host in (LANGSON, "baolaocai.vn"):
        shutil.copytree(SITES_DIR / host, sites / host)
    mirror = serve()
    db = tmp_path / "db.sqlite"
    crawl(mirror, db, "baolangson", "baolaocai")
    first_run, first_stored = last_run(db), stored_urls(db)
    sitemaps = {path for (host, path) in mirror.hits if host == "baolaocai.vn" and "sitemap" in path}
    assert len(sitemaps) == 4  # the index and the three sitemaps it names
    mirror.clear_counts()
    crawl(mirror, db, "baolangson", "baolaocai")

    assert stored_urls(db) == first_stored
    asked = {(host, path) for (host, path) in mirror.hits if path != "/robots.txt"}
    assert asked == ({(LANGSON, "/rss/home.rss")} | {(LANGSON, p) for p in LISTINGS}
                     | {("baolaocai.vn", "/rss/home.rss"), ("baolaocai.vn", "/review-lao-cai/")}
                     | {("baolaocai.vn", p) for p in sitemaps})  # no article, no deeper listing page
    for key in asked:
        assert mirror.conditional[key] == mirror.hits[key] == mirror.statuses[(*key, 304)], key
    second = fetches(db, first_run)
    assert sorted(status for url, status, _ in second if not url.endswith("/robots.txt")) == [304] * len(asked)
    # Bytes: the second run's whole transfer against what the same entry points cost the first.
    entry_urls = {url for url, _, _ in second}
    first_bytes = sum(size for url, _, size in fetches(db, 0, first_run) if url in entry_urls)
    second_bytes = sum(size for _, _, size in second)
    assert second_bytes * 100 < first_bytes, (second_bytes, first_bytes)


def test_a_changed_feed_and_listing_are_read_and_their_new_articles_stored(sites: Path, serve, tmp_path: Path):
    site = sites / LANGSON
    baolangson.build(site, keep=lambda art: art.url not in NEWEST_TEN)
    mirror = serve()
    db = tmp_path / "db.sqlite"
    crawl(mirror, db, "baolangson")
    before = stored_urls(db)
    baolangson.build(site)  # the newsroom publishes ten articles
    mirror.clear_counts()
    crawl(mirror, db, "baolangson")

    assert stored_urls(db) - before == NEWEST_TEN
    feed = (LANGSON, "/rss/home.rss")
    assert mirror.conditional[feed] == mirror.statuses[(*feed, 200)] == 1
    changed = [p for p in LISTINGS if mirror.statuses[(LANGSON, p, 200)]]
    assert changed and all(mirror.conditional[(LANGSON, p)] == 1 for p in changed)
    article_paths = {path_of(url) for url in ALL_ARTICLES}
    assert sum(n for path, n in host_hits(mirror, LANGSON).items() if path in article_paths) <= 10


def test_a_listing_whose_walk_was_not_completed_is_read_again_and_walked(sites: Path, serve, tmp_path: Path):
    baolangson.build(sites / LANGSON)
    mirror = serve()
    db = tmp_path / "db.sqlite"
    crawl(mirror, db, "baolangson")
    with sqlite3.connect(db) as conn:  # the walk of Kinh tế was killed half-way
        conn.execute("UPDATE listing_walks SET completed_at = NULL WHERE url = 'https://baolangson.vn/kinh-te'")
    mirror.clear_counts()
    crawl(mirror, db, "baolangson")

    assert mirror.conditional[(LANGSON, "/kinh-te")] == 0 and mirror.statuses[(LANGSON, "/kinh-te", 200)] == 1
    assert mirror.hits[(LANGSON, "/kinh-te?page=2")] == 1  # walked on
    for path in ("/chinh-tri", "/xa-hoi", "/van-hoa"):
        assert mirror.statuses[(LANGSON, path, 304)] == 1 and mirror.hits[(LANGSON, f"{path}?page=2")] == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM listing_walks WHERE completed_at IS NULL").fetchone() == (0,)


def lying_site(sites: Path, serve: Callable[[], MirrorServer], kind: type[MirrorSite]) -> tuple[MirrorServer, Path]:
    site = sites / LANGSON
    baolangson.build(site, keep=lambda art: art.url not in NEWEST_TEN)
    mirror = serve()
    mirror.sites[LANGSON] = kind(site)
    return mirror, site


def distrusted(db: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT host, conditional, reason FROM host_policies").fetchall()


def test_a_host_keeping_its_etag_on_changed_bodies_loses_conditional_requests(sites: Path, serve,
                                                                              tmp_path: Path):
    mirror, site = lying_site(sites, serve, KeptValidators)
    db = tmp_path / "db.sqlite"
    crawl(mirror, db, "baolangson")
    crawl(mirror, db, "baolangson")
    assert distrusted(db) == []  # the bodies have not changed yet: no lie to see
    baolangson.build(site)
    mirror.clear_counts()
    log = crawl(mirror, db, "baolangson")

    assert mirror.conditional[(LANGSON, "/rss/home.rss")] == 1  # asked conditionally, answered in full
    [(host, conditional, reason)] = distrusted(db)
    assert (host, conditional) == (LANGSON, 0) and '"v1"' in reason
    assert "conditional requests off for host baolangson.vn" in log and "https://baolangson.vn/" in log
    assert stored_urls(db) == ALL_ARTICLES
    mirror.clear_counts()
    crawl(mirror, db, "baolangson")
    assert mirror.hits and sum(mirror.conditional.values()) == 0


def test_a_host_answering_304_to_everything_is_caught_by_the_audit(sites: Path, serve, tmp_path: Path):
    mirror, site = lying_site(sites, serve, AlwaysNotModified)
    workdir = tmp_path / "crawl"
    workdir.mkdir()
    db = workdir / "provnews.db"  # where run_crawl keeps its database
    crawl(mirror, db, "baolangson")
    before = stored_urls(db)
    baolangson.build(site)
    crawl(mirror, db, "baolangson")
    assert stored_urls(db) == before  # every entry point said 304: the new articles stay hidden

    mirror.clear_counts()
    audited = run_crawl(workdir, spider="outlet", outlet="baolangson", mirror=mirror.url,
                        settings={"PROVNEWS_VALIDATOR_AUDIT_HOURS": 0})
    assert sum(mirror.conditional.values()) == 0 and audited.stats["provnews/conditional/audit"] == 5
    assert audited.stats["provnews/conditional/host_disabled"] == 1  # once, though every entry point lied
    assert [(host, conditional) for host, conditional, _ in distrusted(db)] == [(LANGSON, 0)]
    assert stored_urls(db) == ALL_ARTICLES
    mirror.clear_counts()
    crawl(mirror, db, "baolangson")
    assert mirror.hits and sum(mirror.conditional.values()) == 0


def test_conditional_requests_switched_off_send_no_validators(sites: Path, serve, tmp_path: Path):
    shutil.copytree(SITES_DIR / "baolaocai.vn", sites / "baolaocai.vn")
    mirror = serve()
    workdir = tmp_path / "crawl"
    workdir.mkdir()
    db = workdir / "provnews.db"
    crawl(mirror, db, "baolaocai")
    mirror.clear_counts()
    result = run_crawl(workdir, spider="outlet", outlet="baolaocai", mirror=mirror.url,
                       settings={"PROVNEWS_CONDITIONAL": False})
    assert mirror.hits and sum(mirror.conditional.values()) == 0
    assert not [key for key in mirror.statuses if key[2] == 304]
    assert "provnews/conditional/sent" not in result.stats
