"""Matrix rows C (XML, robots.txt) and E (traps, soft-404s) through an outlet crawl."""

from __future__ import annotations

import pytest

from tests.faults.conftest import outlet_sources, run_crawl
from tests.faults.evil import CANARY


def crawl(tmp_path, evil, host, **routes):
    settings = routes.pop("settings", {})
    return run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=evil.url,
                     sources=outlet_sources(host, **routes), settings=settings)


@pytest.mark.parametrize("feed", ["xxe-file", "xxe-http"])
def test_c1_c2_xxe_entities_are_not_resolved_and_other_items_are_kept(tmp_path, evil, feed):
    host = f"c-{feed}.test"
    r = crawl(tmp_path, evil, host, feeds=[f"/feed/{feed}.xml"])
    assert evil.count(evil.host, "/canary-hit") == 0 and evil.count(host, "/canary-hit") == 0
    assert CANARY not in r.db_text()
    assert sorted(r.stored) == sorted(f"https://{host}/art/feed-{i}.html" for i in ("0", "1", "2", "x"))


def test_c3_billion_laughs_is_not_expanded(tmp_path, evil):
    host = "c3.test"
    r = crawl(tmp_path, evil, host, feeds=["/feed/lol.xml"])
    assert r.elapsed < 10
    assert r.rss_growth_mib < 64
    assert "lollollol" not in r.db_text()


@pytest.mark.slow
@pytest.mark.parametrize("path,reason", [("/sitemap/huge.xml", "decompression_limit"),
                                         ("/sitemap/huge-raw.xml", "too_large")])
def test_c4_sitemap_over_50_mib_is_refused_at_the_cap(tmp_path, evil, path, reason):
    host = f"c4{reason[:3]}.test"
    r = crawl(tmp_path, evil, host, sitemaps=[path], feeds=["/feed/plain.xml"])
    assert r.errors() == {reason: 1}
    assert len(r.stored) == 3                                   # the feed's articles still came in
    assert r.rss_growth_mib < 160                               # 50 MiB cap + parse headroom


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["500", "503", "429", "stall"])
def test_c8_robots_5xx_429_or_stall_defers_the_host(tmp_path, evil, mode):
    host = f"c8-{mode}.test"
    evil.robots[host] = mode
    r = crawl(tmp_path, evil, host, feeds=["/feed/plain.xml"])
    assert evil.count(host) == evil.count(host, "/robots.txt")  # nothing but robots.txt was asked for
    assert r.errors().get("robots_unavailable") == 1
    assert r.errors().get("robots_deferred") == 1               # the feed, refused and recorded
    assert r.stored == []


@pytest.mark.parametrize("mode", ["404", "403", "garbage"])
def test_c9_robots_4xx_or_garbage_allows(tmp_path, evil, mode):
    host = f"c9-{mode}.test"
    evil.robots[host] = mode
    r = crawl(tmp_path, evil, host, feeds=["/feed/plain.xml"])
    assert len(r.stored) == 3
    assert r.errors() == {}


def test_c10_robots_disallow_is_respected_and_recorded(tmp_path, evil):
    host = "c10.test"
    evil.robots[host] = "disallow-private"
    r = crawl(tmp_path, evil, host, feeds=["/private/feed.xml", "/feed/plain.xml"])
    assert evil.count(host, "/private/") == 0
    assert r.errors() == {"robots_disallowed": 1}
    assert len(r.stored) == 3


def test_c10_huge_robots_is_treated_as_unavailable(tmp_path, evil):
    host = "c10h.test"
    evil.robots[host] = "huge"
    r = crawl(tmp_path, evil, host, feeds=["/feed/plain.xml"])
    assert r.errors().get("too_large") == 1 and r.errors().get("robots_unavailable") == 1
    assert r.stored == []


def test_e1_calendar_trap_stops_at_the_listing_page_cap(tmp_path, evil):
    host = "e1.test"
    r = crawl(tmp_path, evil, host, listings=["/cal/2024/01"], settings={"PROVNEWS_MAX_LISTING_PAGES": 5})
    assert evil.count(host, "/cal/") == 5
    assert r.stats.get("provnews/route/listing/page_cap") == 1


def test_e2_repeated_path_segments_are_dropped_and_recorded(tmp_path, evil):
    host = "e2.test"
    r = crawl(tmp_path, evil, host, listings=["/a/"])
    assert evil.count(host, "/a/") == 2                         # /a/ and /a/a/; /a/a/a/ refused
    assert r.errors() == {"repeated_segment": 1}
    assert "fetch refused: https://e2.test/a/a/a/ (repeated_segment" in r.log


def test_e3_pagination_repeating_its_last_page_stops(tmp_path, evil):
    host = "e3.test"
    r = crawl(tmp_path, evil, host, listings=["/list?page=1"])
    assert evil.count(host, "/list") <= 3 + 1
    assert len(r.stored) == 9


@pytest.mark.parametrize("kind", ["soft404", "challenge"])
def test_e5_soft_404_and_challenge_pages_are_not_stored(tmp_path, evil, kind):
    host = f"e5{kind}.test"
    r = run_crawl(tmp_path, urls=[f"https://{host}/{kind}/bai-viet-1.html"], mirror=evil.url)
    assert r.stored == []
    assert any(k.startswith("provnews/extract/error/") for k in r.stats) or r.stats.get("item_dropped_count")
