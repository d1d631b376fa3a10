"""Matrix rows C5-C7 (XML), D1-D6 (encoding, extraction) and E4-E6 (URL variants,
soft-404s, vanished articles) through whole crawls: each test asserts what the
database holds afterwards (articles, frontier, fetch_log), not only the stats."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crawler.cli.main import app
from crawler.spiders.outlet import MAX_SITEMAP_DEPTH
from tests.conftest import run_cli
from tests.faults.conftest import outlet_sources, run_crawl
from tests.faults.evil import MALFORMED_YIELDS, VI_TITLE

MOJIBAKE = ("Ã", "á»", "Æ°")


def crawl(tmp_path: Path, evil: Any, host: str, settings: dict[str, Any] | None = None,
          log_level: str = "WARNING", pattern: str | None = None, **routes: Any):
    return run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=evil.url, log_level=log_level,
                     sources=outlet_sources(host, pattern=pattern, **routes), settings=settings)


def query(db: Path, sql: str, *args: Any) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


# --- C. feeds and sitemaps ---------------------------------------------------------


def test_c5_nested_sitemap_index_stops_at_the_depth_cap(tmp_path, evil):
    host = "c5.test"
    r = crawl(tmp_path, evil, host, sitemaps=["/sitemap/nest/0"])
    assert evil.count(host, "/sitemap/nest/") == MAX_SITEMAP_DEPTH + 1     # depths 0..MAX
    assert r.stats.get("provnews/route/sitemap/error/too_deep") == 1
    assert r.stats["finish_reason"] == "finished"


def test_c6_offsite_and_internal_urls_in_sitemaps_and_feeds_are_not_enrolled(tmp_path, evil, internal):
    # No mirror: the outlet really is http://127.0.0.1:<evil port>, so the internal
    # server shares its host name and differs only by port (which Scrapy's offsite
    # filter does not compare), and "localhost" is another host that resolves here.
    own, foreign, inside = (f"http://127.0.0.1:{evil.port}", f"http://localhost:{evil.port}",
                            f"http://127.0.0.1:{internal.port}")
    evil.listed[("127.0.0.1", "/xml/index-c6.xml")] = [f"{site}/xml/urlset-c6.xml" for site in (own, foreign, inside)]
    evil.listed[("127.0.0.1", "/xml/urlset-c6.xml")] = [f"{site}/art/c6-map.html" for site in (own, foreign, inside)]
    evil.listed[("127.0.0.1", "/xml/feed-c6.xml")] = [f"{site}/art/c6-feed.html" for site in (own, foreign, inside)]
    sources = (f'outlets:\n  - key: evil\n    name: "Báo Thử"\n    province: "Lạng Sơn"\n    base_url: "{own}"\n'
               f'    feeds: ["{own}/xml/feed-c6.xml"]\n    sitemaps: ["{own}/xml/index-c6.xml"]\n'
               # Any host matches: only the outlet's own site may be enrolled, whatever the pattern.
               "    article_url_pattern: '^https?://[^/]+/art/[a-z0-9.-]+$'\n")
    r = run_crawl(tmp_path, spider="outlet", outlet="evil", sources=sources)
    assert internal.total == 0
    assert evil.count("localhost") == 0
    assert r.stats.get("provnews/route/sitemap/error/offsite") == 2
    frontier = {url for (url,) in query(r.db, "SELECT url FROM frontier")}
    assert frontier == {f"{own}/art/c6-map.html", f"{own}/art/c6-feed.html"}
    assert sorted(r.stored) == sorted(frontier)


@pytest.mark.parametrize("name", sorted(MALFORMED_YIELDS))
def test_c7_malformed_feeds_and_sitemaps_yield_their_intact_items(tmp_path, evil, name):
    host = f"c7-{name}.test"
    route = {"feeds" if name.startswith("feed") else "sitemaps": [f"/xml/bad-{name}.xml"]}
    r = crawl(tmp_path, evil, host, **route)
    assert len(r.stored) == MALFORMED_YIELDS[name]
    assert not [k for k in r.stats if "/error/" in k]
    assert r.stats["finish_reason"] == "finished"


# --- D. encoding and extraction -----------------------------------------------------


@pytest.mark.parametrize(("path", "encoding", "conflict"), [
    # D1: nothing declared; a Vietnamese-aware guess, not Scrapy's cp1252
    ("/enc/cp1258-undeclared", "windows-1258", None),
    # D2: the header claims Latin-1 for a clean UTF-8 body: the body wins, logged
    ("/enc/utf8-declared-latin1", "utf-8", "http=cp1252,body=utf-8"),
    # D4: header utf-8, <meta> windows-1258: the header wins (BOM > header > meta), logged
    ("/enc/meta-vs-header", "utf-8", "http=utf-8,meta=windows-1258,body=utf-8"),
])
def test_d1_d2_d4_declared_and_undeclared_encodings(tmp_path, evil, path, encoding, conflict):
    host = f"d{path.rsplit('/', 1)[1]}.test"
    r = run_crawl(tmp_path, urls=[f"https://{host}{path}"], mirror=evil.url, log_level="INFO")
    ((title, text, stored_encoding),) = query(r.db, "SELECT title, text, encoding FROM articles")
    assert title == unicodedata.normalize("NFC", VI_TITLE)
    assert stored_encoding == encoding
    assert not any(marker in title + text for marker in MOJIBAKE)
    if conflict:
        assert f"encoding_conflict:{conflict} (used {encoding})" in r.log
        assert r.stats.get("provnews/extract/encoding_conflict") == 1
    else:
        assert "encoding_conflict" not in r.log


def test_d3_nfd_page_is_stored_nfc_and_its_nfc_twin_is_the_same_article(tmp_path, evil):
    host = "d3.test"
    r = run_crawl(tmp_path, urls=[f"https://{host}/enc/nfd/bai-1.html", f"https://{host}/enc/nfc/bai-1.html"],
                  mirror=evil.url, sources=outlet_sources(host))
    ((title, text, outlet),) = query(r.db, "SELECT title, text, outlet FROM articles")
    assert outlet == "evil" and title == unicodedata.normalize("NFC", VI_TITLE)
    assert unicodedata.is_normalized("NFC", text) and unicodedata.is_normalized("NFC", title)


def test_d5_legacy_font_page_is_stored_and_flagged(tmp_path, evil):
    host = "d5.test"
    r = run_crawl(tmp_path, urls=[f"https://{host}/enc/tcvn3/bai-1.html"], mirror=evil.url, log_level="INFO")
    assert len(query(r.db, "SELECT id FROM articles")) == 1
    assert r.stats.get("provnews/extract/legacy_font") == 1
    assert "legacy_font:tcvn3" in r.log
    assert query(r.db, "SELECT encoding_confidence FROM articles") == [("low",)]
    # Kept, but out of what users read unless they ask for it. Typer's runner calls
    # the commands in this process: six interpreter start-ups would cost ~8 s.
    db = f"sqlite:///{r.db}"
    for command in (["search", "tin tinh", "--format", "json"], ["search", "--format", "json"],
                    ["export", "--format", "jsonl"]):
        plain = CliRunner().invoke(app, [*command, "--db", db])
        flagged = CliRunner().invoke(app, [*command, "--include-flagged", "--db", db])
        assert plain.exit_code == flagged.exit_code == 0, plain.output + flagged.output
        assert "Tin tỉnh" not in plain.stdout and "Tin tỉnh" in flagged.stdout, command


def test_d6_empty_body_container_is_recorded_and_not_stored(tmp_path, evil):
    host = "d6.test"
    url = f"https://{host}/hollow/bai-1.html"
    evil.listed[(host, "/xml/feed-d6.xml")] = [url]
    r = crawl(tmp_path, evil, host, feeds=["/xml/feed-d6.xml"], pattern=rf"^https://{host}/hollow/")
    assert query(r.db, "SELECT id FROM articles") == []
    assert r.stats.get("provnews/extract/error/no_text") == 1
    assert query(r.db, "SELECT reason FROM fetch_log WHERE url = ?", url) == [("not_article:no_text",)]
    assert query(r.db, "SELECT state, reason FROM frontier") == [("gone", "not_article:no_text")]


# --- E. URL variants, soft-404s, vanished articles --------------------------------


def test_e4_tracking_and_session_parameters_give_one_row_per_article(tmp_path, evil):
    host = "e4.test"
    r = crawl(tmp_path, evil, host, listings=["/track/list"], pattern=rf"^https://{host}/art/track-\d\.html")
    canonical = sorted(url for (url,) in query(r.db, "SELECT canonical_url FROM articles"))
    assert canonical == [f"https://{host}/art/track-{i}.html" for i in range(3)]
    assert evil.count(host, "/art/") == 3                       # 12 links, 3 articles, 3 fetches
    assert len(query(r.db, "SELECT url_key FROM frontier")) == 3


def test_e5_soft_404_and_challenge_pages_get_their_own_reason(tmp_path, evil):
    host = "e5.test"
    urls = {kind: f"https://{host}/{kind}/bai-1.html" for kind in ("soft404", "challenge", "art")}
    evil.listed[(host, "/xml/feed-e5.xml")] = list(urls.values())
    r = crawl(tmp_path, evil, host, feeds=["/xml/feed-e5.xml"],
              pattern=rf"^https://{host}/(?:art|soft404|challenge)/")
    assert r.stored == [urls["art"]]
    log = dict(query(r.db, "SELECT url, reason FROM fetch_log WHERE url LIKE '%/bai-1.html'"))
    assert log == {urls["soft404"]: "soft_404", urls["challenge"]: "challenge_page", urls["art"]: None}
    frontier = {url: (state, reason, next_fetch is not None) for url, state, reason, next_fetch in
                query(r.db, "SELECT url, state, reason, next_fetch_at FROM frontier")}
    assert frontier[urls["soft404"]] == ("gone", "soft_404", False)
    assert frontier[urls["challenge"]] == ("failed", "challenge_page", True)   # retried later


@pytest.mark.slow
def test_e6_article_gone_on_recheck_keeps_its_content_and_gets_gone_at(tmp_path, evil):
    host = "e6.test"
    urls = {mode: f"https://{host}/vanish/{mode}/bai-1.html" for mode in ("home", "404", "410")}
    evil.listed[(host, "/xml/feed-e6.xml")] = list(urls.values())
    recheck_all = {"PROVNEWS_RECHECK_DAYS": 100_000, "PROVNEWS_RECHECK_AFTER_HOURS": 0}
    first = crawl(tmp_path, evil, host, feeds=["/xml/feed-e6.xml"], pattern=rf"^https://{host}/vanish/",
                  settings=recheck_all)
    before = dict(query(first.db, "SELECT url, text FROM articles"))
    assert sorted(before) == sorted(urls.values())

    second = crawl(tmp_path, evil, host, feeds=["/xml/feed-e6.xml"], pattern=rf"^https://{host}/vanish/",
                   settings=recheck_all)
    assert evil.count(host, "/vanish/") == 6                    # each fetched, then rechecked once
    after = {url: (text, gone_at) for url, text, gone_at in query(second.db, "SELECT url, text, gone_at FROM articles")}
    assert {url: text for url, (text, _) in after.items()} == before    # content kept, home page not stored
    assert all(gone_at for _, gone_at in after.values())
    frontier = dict(query(second.db, "SELECT url, state || ':' || reason FROM frontier"))
    assert frontier == {urls["home"]: "gone:redirected_home", urls["404"]: "gone:http_404",
                        urls["410"]: "gone:http_410"}
    assert query(second.db, "SELECT reason FROM fetch_log WHERE url = ?", f"https://{host}/") == [("redirected_home",)]
    shown = run_cli("show", urls["404"], "--format", "json", "--db", f"sqlite:///{second.db}")
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["gone_at"] and record["text"] == before[urls["404"]] and record["province"] == "Lạng Sơn"
