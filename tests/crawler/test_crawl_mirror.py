"""The generic spider against the Báo Lạng Sơn mirror, over real HTTP."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from crawler.mirror.server import SITES_DIR, MirrorServer
from storage.search import fold
from tests.conftest import run_cli, stored_urls

SITE = SITES_DIR / "baolangson.vn"
ARTICLE_FILE = re.compile(r"^[a-z0-9-]+-\d{7}\.html$")
SEED_TITLE = "Đoàn Kiểm tra của Ban Bí thư Trung ương Đảng làm việc với Ban Thường vụ Tỉnh ủy Lạng Sơn"


def mirror_articles() -> set[str]:
    """The mirror's article set, read from its files, independently of the crawler."""
    return {f"https://baolangson.vn/{p.name}" for p in SITE.iterdir() if ARTICLE_FILE.match(p.name)}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One crawl of the mirror, shared by the read-only tests of this module."""
    server = MirrorServer(SITES_DIR)
    server.start_background()
    db_path = tmp_path_factory.mktemp("crawl") / "provnews.db"
    result = run_cli("crawl", "baolangson", "--mirror", server.url, "--db", f"sqlite:///{db_path}")
    server.shutdown()
    server.server_close()
    assert result.returncode == 0, result.stderr
    return server, db_path, f"sqlite:///{db_path}"


def test_crawl_finds_exactly_the_mirrors_articles(crawled):
    mirror, db_path, _ = crawled
    expected = mirror_articles()
    assert len(expected) >= 40
    assert stored_urls(db_path) == expected
    # robots.txt was read, and the print versions it disallows were never requested.
    assert mirror.hits[("baolangson.vn", "/robots.txt")] == 1
    assert not [path for (_, path) in mirror.hits if path.startswith("/ban-in-")]
    # Each article was downloaded once, though feed and listings both point to it.
    article_hits = {path: n for (_, path), n in mirror.hits.items() if ARTICLE_FILE.match(path[1:])}
    assert set(article_hits.values()) == {1}


def test_every_stored_article_is_complete(crawled):
    _, db_path, db = crawled
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT id, title, text FROM articles").fetchall()
    assert rows and all(r["title"] and len(r["text"].split()) >= 20 for r in rows)
    for row in rows:
        assert row["title"]
    everything = json.loads(run_cli("search", "--limit", "1000", "--format", "json", "--db", db).stdout)
    assert len(everything) == len(rows)
    assert all(r["published_at"].endswith("+07:00") for r in everything)


def test_seed_article_fields(crawled):
    _, _, db = crawled
    found = json.loads(run_cli("search", "Đoàn Kiểm tra số 721", "--format", "json", "--db", db).stdout)
    seed = next(r for r in found if r["title"] == SEED_TITLE)
    assert [a.casefold() for a in seed["authors"]] == ["phùng khiêm"]
    assert seed["summary"].startswith("Chiều nay (11/9)")
    assert seed["published_at"] == "2018-09-11T17:30:00+07:00"
    assert "Trưởng Ban Nội chính Trung ương, Trưởng Đoàn Kiểm tra phát biểu" not in seed["text"]
    assert "kết luận tại buổi làm việc với Ban Thường vụ Tỉnh ủy Lạng Sơn" not in seed["text"]
    assert any("Trưởng Đoàn Kiểm tra phát biểu" in (i["caption"] or "") for i in seed["images"])
    assert "PHÙNG KHIÊM" not in seed["text"]


def test_second_crawl_adds_no_rows(mirror, db_path):
    db = f"sqlite:///{db_path}"
    run_cli("crawl", "baolangson", "--mirror", mirror.url, "--db", db)
    with sqlite3.connect(db_path) as conn:
        before = conn.execute("SELECT id, url, content_hash FROM articles ORDER BY id").fetchall()
    second = run_cli("crawl", "baolangson", "--mirror", mirror.url, "--db", db)
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(db_path) as conn:
        after = conn.execute("SELECT id, url, content_hash FROM articles ORDER BY id").fetchall()
    assert after == before


def test_search_folds_diacritics(crawled):
    _, _, db = crawled
    plain = json.loads(run_cli("search", "lang son", "--limit", "1000", "--format", "json", "--db", db).stdout)
    accented = json.loads(run_cli("search", "Lạng Sơn", "--limit", "1000", "--format", "json", "--db", db).stdout)
    assert plain and {r["id"] for r in plain} == {r["id"] for r in accented}
    for r in plain:
        folded = re.findall(r"\w+", fold(" ".join([r["title"], r["summary"] or "", r["text"]])))
        assert "lang" in folded and "son" in folded, r["url"]


def test_search_filters_by_province_and_author_without_diacritics(crawled):
    _, _, db = crawled
    by_province = json.loads(run_cli("search", "--province", "lang son", "--limit", "1000", "--format", "json",
                                     "--db", db).stdout)
    assert len(by_province) == len(mirror_articles())
    assert json.loads(run_cli("search", "--province", "cao bang", "--format", "json", "--db", db).stdout) == []
    by_author = json.loads(run_cli("search", "--author", "phung khiem", "--format", "json", "--db", db).stdout)
    assert [r["title"] for r in by_author] == [SEED_TITLE]
