"""Matrix rows A4, A6, A8 (across runs), A12, A13, B5, B6 and C11: transport faults
whose outcome lives in the frontier and the fetch log, not only in the run's stats.

Rows that settle a URL in the frontier crawl with the outlet spider (``routes=feed``
and no feeds), which fetches only what the frontier holds due: the test seeds the
frontier, runs the crawl in a subprocess, then reads the frontier row and the
``fetch_log`` rows back from the database.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crawler.core.urls import url_key
from crawler.services.crawl import MIRROR_DOWNLOAD_DELAY
from storage import crawlstate
from storage.database import open_database
from storage.engine import Database
from storage.models import FetchLog, FrontierUrl
from tests.faults.conftest import CrawlResult, outlet_sources, run_crawl
from tests.faults.evil import NOT_HTML, EvilServer


def _database(tmp_path: Path) -> Database:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return open_database(f"sqlite:///{tmp_path / 'provnews.db'}")


def seed(tmp_path: Path, *urls: str) -> None:
    """URLs pending in the frontier of outlet ``evil``, as a killed or earlier run left them."""
    db = _database(tmp_path)
    with db.session() as session, session.begin():
        crawlstate.discover(session, "evil", {url_key(u): u for u in urls})
    db.engine.dispose()


def frontier(tmp_path: Path, url: str) -> FrontierUrl:
    db = _database(tmp_path)
    with db.session() as session:
        row = session.get(FrontierUrl, url_key(url))
        session.expunge_all()
    db.engine.dispose()
    return row


def make_due(tmp_path: Path, url: str) -> None:
    """Move a back-off into the past, as if its time had come."""
    db = _database(tmp_path)
    with db.session() as session, session.begin():
        session.execute(update(FrontierUrl).where(FrontierUrl.url_key == url_key(url))
                        .values(next_fetch_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    db.engine.dispose()


def fetch_reasons(tmp_path: Path, url: str) -> list[str | None]:
    db = _database(tmp_path)
    with db.session() as session:
        reasons = list(session.scalars(select(FetchLog.reason).where(FetchLog.url == url).order_by(FetchLog.id)))
    db.engine.dispose()
    return reasons


def crawl_frontier(tmp_path: Path, mirror: str, host: str, pattern: str | None = None,
                   **kwargs) -> CrawlResult:
    """One outlet run that fetches only the URLs the frontier holds due."""
    return run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=mirror, routes="feed",
                     sources=outlet_sources(host, pattern=pattern), **kwargs)


def closed_port() -> int:
    """A port nobody listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(tmp_path: Path, evil: EvilServer, host: str, *paths: str, **kwargs) -> CrawlResult:
    return run_crawl(tmp_path, urls=[f"https://{host}{p}" for p in paths], mirror=evil.url, **kwargs)


# --- A. transport ------------------------------------------------------------------


def test_a4_connection_refused_is_recorded_and_backs_off_in_the_frontier(tmp_path):
    url = "https://a4.test/art/a4-down.html"
    seed(tmp_path, url)
    # robots.txt would meet the same refusal and defer the host (row C8): this row is
    # about the article fetch itself.
    r = crawl_frontier(tmp_path, f"http://127.0.0.1:{closed_port()}", "a4.test",
                       settings={"RETRY_TIMES": 2, "ROBOTSTXT_OBEY": False})
    assert r.errors() == {"conn_refused": 1}
    assert r.stats.get("retry/count") == 2                      # retried RETRY_TIMES times first
    assert fetch_reasons(tmp_path, url) == ["conn_refused"]
    row = frontier(tmp_path, url)
    assert (row.state, row.attempts, row.reason) == ("failed", 1, "conn_refused")
    assert row.next_fetch_at > datetime.now(timezone.utc) + timedelta(minutes=20)


@pytest.mark.parametrize("path,reason", [("/broken-chunked", "dataloss"),    # no last chunk
                                         ("/rst", "dataloss"),               # reset mid-body
                                         ("/rst?at=head", "conn_lost")],     # reset before the answer
                         ids=["chunked", "rst-body", "rst-head"])
def test_a6_broken_chunking_or_reset_is_recorded_and_never_stored(tmp_path, evil, path, reason):
    host = "a6" + "".join(c for c in path if c.isalpha()) + ".test"
    r = scrape(tmp_path, evil, host, path)
    assert r.errors() == {reason: 1}
    assert r.stored == []
    assert evil.count(host, path.split("?")[0]) == 2           # RETRY_TIMES=1: retried once


@pytest.mark.slow
def test_a8_permanent_5xx_fails_with_backoff_then_is_gone_after_three_runs(tmp_path, evil):
    host = "a8r.test"
    url = f"https://{host}/flaky/a8r?fail=999&code=500"
    seed(tmp_path, url)

    def run() -> FrontierUrl:
        crawl_frontier(tmp_path, evil.url, host, pattern=r"^https://a8r\.test/flaky/.*$")
        return frontier(tmp_path, url)

    first = run()
    assert (first.state, first.attempts, first.reason) == ("failed", 1, "http_500")
    assert evil.count(host, "/flaky/") == 2                     # RETRY_TIMES=1 within the run
    wait1 = first.next_fetch_at - first.updated_at
    assert wait1 >= timedelta(minutes=29)

    run()                                                      # not due yet: left alone
    assert evil.count(host, "/flaky/") == 2

    make_due(tmp_path, url)
    second = run()
    assert (second.state, second.attempts) == ("failed", 2)
    assert second.next_fetch_at - second.updated_at >= 2 * wait1 - timedelta(seconds=5)  # back-off doubles

    make_due(tmp_path, url)
    third = run()
    assert (third.state, third.attempts) == ("gone", 3)         # MAX_ATTEMPTS runs: given up
    assert evil.count(host, "/flaky/") == 6

    make_due(tmp_path, url)
    run()
    assert evil.count(host, "/flaky/") == 6                     # gone is never fetched again
    # A row per response (status 500, no reason) and one per run that gave up.
    assert [r for r in fetch_reasons(tmp_path, url) if r] == ["http_500"] * 3


def test_a12_cross_origin_redirect_drops_cookie_and_authorization(tmp_path, evil):
    if evil.alias is None:
        pytest.skip("no second loopback address to serve another origin")
    credentials = {"Cookie": "session=a12-secret", "Authorization": "Bearer a12-token"}
    same = f"http://{evil.host}:{evil.port}/art/a12-same.html"
    cross = f"http://{evil.alias}:{evil.port}/art/a12-cross.html"
    r = run_crawl(tmp_path, urls=[f"http://{evil.host}:{evil.port}/to?loc={same}",
                                  f"http://{evil.host}:{evil.port}/to?loc={cross}"],
                  headers=credentials)
    assert len(r.stored) == 2

    def sent(host: str, path: str) -> dict[str, str]:
        (hit,) = [h for h in evil.log if h.host == host and h.target == path]
        return hit.headers

    # The same origin gets them (so the headers were sent at all); the other does not.
    assert sent(evil.host, "/art/a12-same.html").get("cookie") == "session=a12-secret"
    assert sent(evil.host, "/art/a12-same.html").get("authorization") == "Bearer a12-token"
    assert "cookie" not in sent(evil.alias, "/art/a12-cross.html")
    assert "authorization" not in sent(evil.alias, "/art/a12-cross.html")


@pytest.mark.slow
def test_a13_politeness_under_load_one_request_at_a_time_and_spaced(tmp_path, evil):
    host, n = "a13.test", 200
    # Every other answer takes 0.6 s, longer than most jittered delays (0.25-0.75 s):
    # two requests allowed per host would overlap there, and `peak` would show it.
    # After the quick answers only the delay holds the next request back.
    evil.slow[host] = 0.6
    r = run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=evil.url,
                  sources=outlet_sources(host, feeds=[f"/feed/many-{n}.xml"]),
                  settings={"DOWNLOAD_DELAY": 0.5, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}, timeout=400)
    assert len(r.stored) == n
    times = sorted(evil.times(host))
    assert len(times) == n + 2                                  # robots.txt, the feed, the articles
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert evil.peak[host] == 1
    assert min(gaps) >= 0.25, min(gaps)                          # DOWNLOAD_DELAY × (1 − 0.5 jitter)
    print(f"A13: {n} articles in {r.elapsed:.0f} s; min gap {min(gaps):.3f} s, peak concurrency {evil.peak[host]}")


def test_a13_mirror_mode_keeps_the_per_host_cap(tmp_path, evil):
    """The mirror's near-zero delay still lets one host have only its share in flight
    (with a delay of 0, Scrapy sends a host's whole queue at once)."""
    host, n = "a13m.test", 12
    evil.slow[host] = 0.3
    r = run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=evil.url,
                  sources=outlet_sources(host, feeds=[f"/feed/many-{n}.xml"]),
                  settings={"DOWNLOAD_DELAY": MIRROR_DOWNLOAD_DELAY, "CONCURRENT_REQUESTS_PER_DOMAIN": 2})
    assert len(r.stored) == n
    assert evil.peak[host] == 2


# --- B. content type and size --------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(NOT_HTML))
def test_b5_non_html_article_is_refused_before_extraction(tmp_path, evil, kind):
    host = f"b5{kind}.test"
    url = f"https://{host}/bin/{kind}/b5.html"
    seed(tmp_path, url)
    r = crawl_frontier(tmp_path, evil.url, host, pattern=rf"^https://{host}/bin/.*$")
    assert r.errors() == {"unsupported_type": 1}
    assert not any(k.startswith("provnews/extract/") for k in r.stats)   # the extractor never ran
    assert r.stored == [] and r.db_text() == ""
    assert fetch_reasons(tmp_path, url) == ["unsupported_type"]
    assert frontier(tmp_path, url).state == "gone"   # a PDF will not become a web page


@pytest.mark.parametrize("kind", ["empty", "tiny"])
def test_b6_empty_or_tiny_200_is_recorded_and_rescheduled(tmp_path, evil, kind):
    host = f"b6{kind}.test"
    url = f"https://{host}/{kind}/b6.html"
    seed(tmp_path, url)
    r = crawl_frontier(tmp_path, evil.url, host, pattern=rf"^https://{host}/{kind}/.*$")
    assert r.errors() == {"empty_extract": 1}
    assert r.stored == [] and r.db_text() == ""
    assert fetch_reasons(tmp_path, url) == ["empty_extract"]
    row = frontier(tmp_path, url)
    assert (row.state, row.attempts) == ("failed", 1)           # not done, not given up: due again later
    assert row.next_fetch_at > datetime.now(timezone.utc) + timedelta(minutes=20)


# --- C. robots.txt Crawl-delay -------------------------------------------------------


def test_c11_crawl_delay_above_the_cap_skips_the_host(tmp_path, evil):
    host = "c11.test"
    evil.robots[host] = "crawl-delay=120"
    r = run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=evil.url,
                  sources=outlet_sources(host, feeds=["/feed/plain.xml"]))
    assert evil.count(host) == evil.count(host, "/robots.txt") == 1   # nothing else was asked for
    assert r.errors() == {"crawl_delay_exceeded": 1}                 # the feed, refused and recorded
    assert fetch_reasons(tmp_path, f"https://{host}/feed/plain.xml") == ["crawl_delay_exceeded"]
    assert r.stored == []


@pytest.mark.slow  # waits out real delays (several seconds)
def test_c11_crawl_delay_under_the_cap_becomes_the_host_delay(tmp_path, evil):
    host = "c11ok.test"
    evil.robots[host] = "crawl-delay=1"
    r = run_crawl(tmp_path, spider="outlet", outlet="evil", mirror=evil.url,
                  sources=outlet_sources(host, feeds=["/feed/plain.xml"]))
    assert len(r.stored) == 3
    times = evil.times(host)
    assert len(times) == 1 + 1 + 3                              # robots.txt, the feed, 3 articles
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.95, gaps                              # mirror mode has no delay of its own
