"""Matrix row F7: the egress checks through the HTTP API (crawler.api), and its reads.

Refused URLs must make no request at all: the "internal" server counts every hit,
and ``run_scrape`` (the only way the API fetches) is replaced by a function that
fails the test if called.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from crawler import api
from crawler.api import ApiConfig, create_app

ROOT = Path(__file__).parents[2]


def _client(tmp_path: Path, **config: object) -> TestClient:
    return TestClient(create_app(ApiConfig(f"sqlite:///{tmp_path / 'provnews.db'}", **config)))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as c:
        yield c


@pytest.fixture
def no_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    def fetch(*_: object) -> None:
        raise AssertionError("a refused URL reached the scrape subprocess")
    monkeypatch.setattr(api, "run_scrape", fetch)


# (url with {port} = the internal server's port, HTTP status, reason code)
REFUSED = [
    ("http://127.0.0.1:{port}/secret", 403, "blocked_address"),                  # F1
    ("http://10.0.0.1/", 403, "blocked_address"),
    ("http://169.254.169.254/latest/meta-data/", 403, "blocked_address"),
    ("http://[::1]:{port}/secret", 403, "blocked_address"),
    ("http://0.0.0.0:{port}/secret", 403, "blocked_address"),
    ("http://2130706433:{port}/secret", 403, "blocked_address"),                # F2
    ("http://0177.0.0.1:{port}/secret", 403, "blocked_address"),
    ("http://127.1:{port}/secret", 403, "blocked_address"),
    ("http://[::ffff:127.0.0.1]:{port}/secret", 403, "blocked_address"),
    ("file:///etc/passwd", 400, "bad_scheme"),                                  # F5
    ("gopher://example.com/", 400, "bad_scheme"),
    ("ftp://example.com/", 400, "bad_scheme"),
    ("http://example.com:6379/", 403, "blocked_port"),
    ("http:///no-host", 400, "bad_url"),
]


@pytest.mark.parametrize("template,status,reason", REFUSED)
def test_f7_refused_urls_get_a_json_error_and_no_request(client, internal, no_fetch, template, status, reason):
    r = client.post("/scrape", json={"url": template.format(port=internal.port)})
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == "blocked_by_policy"
    assert body["reason"] == reason
    assert body["detail"]
    assert internal.total == 0


def test_f7_allow_private_keeps_the_scheme_check(tmp_path, no_fetch):
    with _client(tmp_path, allow_private=True) as c:
        r = c.post("/scrape", json={"url": "file:///etc/passwd"})
    assert (r.status_code, r.json()["reason"]) == (400, "bad_scheme")


def test_f7_f3_redirect_to_loopback_is_refused_in_the_subprocess(tmp_path, evil, internal):
    with _client(tmp_path, egress_allow=(f"127.0.0.1:{evil.port}",)) as c:
        target = f"http://127.0.0.1:{internal.port}/secret"
        r = c.post("/scrape", json={"url": f"http://127.0.0.1:{evil.port}/to?loc={target}"})
    assert r.status_code == 403, r.text
    assert r.json() | {"detail": None} == {"error": "blocked_by_policy", "reason": "blocked_redirect",
                                           "exit_code": 6, "detail": None}
    assert evil.count("127.0.0.1", "/to") == 1
    assert internal.total == 0


def test_f7_scrape_stores_and_the_article_can_be_read_and_searched(tmp_path, evil):
    url = f"http://127.0.0.1:{evil.port}/art/api-one.html"
    with _client(tmp_path, egress_allow=(f"127.0.0.1:{evil.port}",)) as c:
        scraped = c.post("/scrape", json={"url": url})
        assert scraped.status_code == 200, scraped.text
        body = scraped.json()
        assert body["status"] == "stored" and len(body["ids"]) == 1
        (article_id,) = body["ids"]

        article = c.get(f"/articles/{article_id}").json()
        assert article["id"] == article_id and article["url"] == url
        assert article["title"] == "Bài viết api-one.html"

        found = c.get("/search", params={"q": "bai viet api one"}).json()      # no diacritics
        assert [r["id"] for r in found["results"]] == [article_id]
        assert "Bài viết" in found["results"][0]["snippet"]
        assert_empty(c.get("/search", params={"q": "khong co bai nay"}).json())
    assert evil.count("127.0.0.1", "/art/api-one.html") == 1


def test_f7_a_scrape_that_stores_nothing_maps_the_exit_code(tmp_path, evil):
    with _client(tmp_path, egress_allow=(f"127.0.0.1:{evil.port}",)) as c:
        r = c.post("/scrape", json={"url": f"http://127.0.0.1:{evil.port}/soft404/api-gone.html"})
    assert r.status_code == 502, r.text
    body = r.json()
    assert (body["error"], body["exit_code"]) == ("scrape_failed", 1)
    assert body["reasons"] == ["soft_404"]


def test_f7_a_scrape_past_its_deadline_is_a_504(tmp_path, evil):
    with _client(tmp_path, egress_allow=(f"127.0.0.1:{evil.port}",), scrape_timeout=0.2) as c:
        r = c.post("/scrape", json={"url": f"http://127.0.0.1:{evil.port}/stall"})
        assert (r.status_code, r.json()["error"]) == (504, "scrape_timeout")
        assert c.get("/search").json()["count"] == 0


def test_f7_scrapes_beyond_the_limit_are_turned_away(tmp_path, monkeypatch):
    running, release = threading.Event(), threading.Event()

    def slow_scrape(url: str, config: ApiConfig) -> dict:
        running.set()
        release.wait(10)
        return {"status": "stored", "ids": [], "articles": []}

    monkeypatch.setattr(api, "run_scrape", slow_scrape)
    with _client(tmp_path, max_scrapes=1) as c:
        first = threading.Thread(target=c.post, args=("/scrape",), kwargs={"json": {"url": "https://example.com/a"}})
        first.start()
        assert running.wait(10)
        second = c.post("/scrape", json={"url": "https://example.com/b"})
        release.set()
        first.join(10)
    assert (second.status_code, second.json()["error"]) == (429, "busy")


# --- reads: bad input is a 4xx JSON answer, never a 500 ----------------------------

@pytest.mark.parametrize("params,field", [
    ({"since": "2025-13-01"}, "since"), ({"until": "yesterday"}, "until"),
    ({"limit": "0"}, "limit"), ({"limit": "10001"}, "limit"), ({"limit": "many"}, "limit"),
    ({"collapse": "perhaps"}, "collapse"),
])
def test_bad_search_parameters_are_422_json(client, params, field):
    r = client.get("/search", params={"q": "lang son", **params})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_request"
    assert field in str(body["detail"])


@pytest.mark.parametrize("path,status", [
    ("/articles/12345", 404), ("/articles/abc", 422), ("/articles/0", 422),
    ("/articles/99999999999999999999", 422), ("/nowhere", 404),
])
def test_article_lookups_answer_json(client, path, status):
    r = client.get(path)
    assert r.status_code == status
    assert r.json()["error"] in {"not_found", "invalid_request"}


@pytest.mark.parametrize("payload", [{}, {"url": 5}, {"url": "https://x.vn/" + "a" * 2100}])
def test_bad_scrape_bodies_are_422_json(client, no_fetch, payload):
    r = client.post("/scrape", json=payload)
    assert (r.status_code, r.json()["error"]) == (422, "invalid_request")


def test_search_without_query_lists_the_newest(client):
    assert_empty(client.get("/search", params={"since": "2025-01-01", "province": "lang son"}).json())


def assert_empty(body: dict) -> None:
    """An answer with nothing found: an exact total of 0 and no page."""
    assert {k: body[k] for k in ("total", "total_exact", "offset", "count", "results", "loose", "searched_newest")} \
        == {"total": 0, "total_exact": True, "offset": 0, "count": 0, "results": [], "loose": False,
            "searched_newest": None}


# --- the command -------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_answers_on_loopback(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--port", str(port),
                             "--db", f"sqlite:///{tmp_path / 'provnews.db'}"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/search?q=lang+son", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    pytest.fail(f"serve exited with {proc.returncode}: {proc.stderr.read()}")
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert_empty(r.json())
        refused = httpx.post(f"http://127.0.0.1:{port}/scrape", json={"url": "http://10.0.0.1/"}, timeout=5)
        assert (refused.status_code, refused.json()["reason"]) == (403, "blocked_address")
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_command_refuses_a_bad_database(tmp_path):
    (tmp_path / "not-a-db").write_text("plain text, not SQLite")
    r = subprocess.run([sys.executable, "-m", "crawler", "serve", "--db", f"sqlite:///{tmp_path / 'not-a-db'}"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 4, r.stderr


# --- search: pages, totals, record shape, bad filters --------------------------------

@pytest.fixture
def filled(tmp_path: Path) -> Iterator[TestClient]:
    from datetime import datetime, timedelta, timezone

    from crawler.core.record import ArticleRecord, content_hash
    from crawler.core.urls import url_key
    from storage import ArticleWrite, open_database, upsert_articles

    database = open_database(f"sqlite:///{tmp_path / 'provnews.db'}")
    items = []
    for n in range(1, 8):
        body = f"Hàng hóa qua cửa khẩu Tân Thanh, bài {n}."
        record = ArticleRecord(url=f"https://baolangson.vn/ck-{n}.html", outlet="baolangson", title=f"Tin {n}",
                               text=body, published_at=datetime(2025, 7, n, 8, tzinfo=timezone(timedelta(hours=7))),
                               content_hash=content_hash(body))
        items.append(ArticleWrite(record, url_key(record.url), (), "Lạng Sơn"))
    database.run_in_transaction(lambda s: upsert_articles(s, items))
    database.close()
    with _client(tmp_path) as c:
        yield c


def test_search_pages_with_offset_limit_and_as_of(filled):
    first = filled.get("/search", params={"q": "cửa khẩu", "limit": 3}).json()
    assert (first["total"], first["total_exact"], first["count"], first["as_of"]) == (7, True, 3, 7)
    ids = [r["id"] for r in first["results"]]
    for offset in (3, 6):
        page = filled.get("/search", params={"q": "cửa khẩu", "limit": 3, "offset": offset,
                                              "as_of": first["as_of"]}).json()
        ids += [r["id"] for r in page["results"]]
    assert sorted(ids) == list(range(1, 8))
    listing = filled.get("/search", params={"limit": 5, "offset": 5}).json()
    assert (listing["total"], listing["count"]) == (7, 2)


def test_search_records_carry_story_and_snippet(filled):
    result = filled.get("/search", params={"q": "cửa khẩu", "limit": 1}).json()["results"][0]
    assert (result["story_id"], result["story_size"]) == (result["id"], 1)
    assert "cửa khẩu" in result["snippet"]
    article = filled.get(f"/articles/{result['id']}").json()
    assert {k: v for k, v in result.items() if k != "snippet"} == article


@pytest.mark.parametrize(("params", "message"), [
    ({"outlet": "baolangsn"}, "did you mean baolangson?"),
    ({"province": "lang sn"}, "did you mean Lạng Sơn?"),
    ({"section": "thoi su"}, "unknown section"),
    ({"since": "2025-07-05", "until": "2025-07-01"}, "since 2025-07-05 is after until 2025-07-01"),
    ({"q": "-khẩu"}, "only excludes"),
    ({"offset": 9995, "limit": 10}, "offset + limit"),
])
def test_bad_search_filters_are_422(filled, params, message):
    r = filled.get("/search", params={"q": "cửa khẩu", **params} if "q" not in params else params)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request" and message in r.json()["detail"]
