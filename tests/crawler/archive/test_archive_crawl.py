"""The raw archive over a real crawl of the Báo Lạng Sơn mirror: every article and
version points to its page, the pages pass WARC tools, and re-extraction reads them
without a request."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.core.record import join_paragraphs, split_paragraphs
from crawler.extraction import extract_bytes
from crawler.mirror.server import SITES_DIR, MirrorServer
from crawler.services.reextract import Extractor, Selection, reextract
from storage.database import open_database
from tests.conftest import run_cli

WARCIO = [str(Path(sys.executable).with_name("warcio"))]
# The changed rule of the re-extraction test: paragraphs naming a commune ("xã") go.
WORD = "xã"


def warcio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*WARCIO, *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> tuple[MirrorServer, Path]:
    """One crawl of the mirror into <dir>/provnews.db and <dir>/provnews-archive/."""
    server = MirrorServer(SITES_DIR)
    server.start_background()
    directory = tmp_path_factory.mktemp("archived")
    result = run_cli("crawl", "baolangson", "--mirror", server.url, "--db", f"sqlite:///{directory / 'provnews.db'}")
    assert result.returncode == 0, result.stderr
    yield server, directory
    server.shutdown()
    server.server_close()


@pytest.fixture
def copy(crawled, tmp_path: Path) -> Path:
    """A copy of the crawled database and archive, for a test that changes them."""
    target = tmp_path / "copy"
    shutil.copytree(crawled[1], target)
    return target


def rows(directory: Path, table: str) -> list[tuple]:
    with sqlite3.connect(directory / "provnews.db") as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608 - fixed names


def db(directory: Path) -> str:
    return f"sqlite:///{directory / 'provnews.db'}"


def test_every_article_and_version_points_to_its_page(crawled) -> None:
    _, directory = crawled
    with sqlite3.connect(directory / "provnews.db") as conn:
        articles = conn.execute("SELECT count(*), count(archive_id), count(DISTINCT archive_id), "
                                "count(DISTINCT extractor_version) FROM articles").fetchone()
        versions = conn.execute("SELECT count(*), count(archive_id), min(origin), max(origin) "
                                "FROM article_versions").fetchone()
        mismatched = conn.execute("SELECT count(*) FROM articles a JOIN archive_records r ON r.id = a.archive_id "
                                  "WHERE r.url != a.url").fetchone()[0]
    assert articles[0] >= 40 and articles[0] == articles[1] == articles[2] and articles[3] == 1
    assert versions == (articles[0], articles[0], "fetch", "fetch")
    assert mismatched == 0
    result = run_cli("archive", "verify", "--db", db(directory))
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {"pointers": 2 * articles[0], "problems": {}, "examples": []}


def test_our_files_pass_warcio_check_and_index(crawled) -> None:
    files = sorted((crawled[1] / "provnews-archive").glob("*.warc.gz"))
    assert files
    checked = warcio("check", "-v", *map(str, files))
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.count("digest pass") == len(rows(crawled[1], "articles"))  # one line per record
    index = [json.loads(line) for line in warcio("index", *map(str, files)).stdout.splitlines()]
    assert {entry["warc-target-uri"] for entry in index} == {row[3] for row in rows(crawled[1], "articles")}


def test_archive_show_and_get_give_the_page_byte_for_byte(crawled, tmp_path: Path) -> None:
    _, directory = crawled
    article_id, url = rows(directory, "articles")[0][0], rows(directory, "articles")[0][3]
    served = (SITES_DIR / "baolangson.vn" / url.rsplit("/", 1)[1]).read_bytes()
    shown = subprocess.run([sys.executable, "-m", "crawler", "archive", "show", str(article_id), "--db", db(directory)],
                           capture_output=True, timeout=120)
    assert shown.returncode == 0 and shown.stdout == served
    out = tmp_path / "page.html"
    got = run_cli("archive", "get", url, "--out", str(out), "--headers", "--db", db(directory))
    assert got.returncode == 0 and out.read_bytes() == served
    assert "200" in got.stderr and "text/html" in got.stderr
    assert run_cli("archive", "get", "https://baolangson.vn/nope-1.html", "--db", db(directory)).returncode == 5


def test_export_warc_passes_warcio_and_holds_each_article(crawled, tmp_path: Path) -> None:
    _, directory = crawled
    out = tmp_path / "export.warc.gz"
    result = run_cli("export", "--format", "warc", "--out", str(out), "--db", db(directory))
    assert result.returncode == 0, result.stderr
    assert warcio("check", str(out)).returncode == 0
    index = [json.loads(line) for line in warcio("index", str(out)).stdout.splitlines()]
    assert sorted(e["warc-target-uri"] for e in index) == sorted(r[3] for r in rows(directory, "articles"))


def test_reextract_all_fetches_nothing_and_changes_nothing(crawled, copy: Path) -> None:
    mirror, _ = crawled
    articles, versions = rows(copy, "articles"), rows(copy, "article_versions")
    hits = dict(mirror.hits)
    result = run_cli("reextract", "--all", "--workers", "2", "--format", "json", "--db", db(copy))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["read"] == report["selected"] == len(articles) and report["changed"] == 0
    assert dict(mirror.hits) == hits
    assert rows(copy, "articles") == articles and rows(copy, "article_versions") == versions
    # Without --all, articles this extractor produced are already done.
    again = json.loads(run_cli("reextract", "--format", "json", "--db", db(copy)).stdout)
    assert again["selected"] == 0


def extract_without_word(body: bytes, url: str, **kwargs) -> object:  # noqa: ANN003
    """The changed rule: a paragraph naming WORD is no part of the article."""
    record = extract_bytes(body, url, **kwargs)
    kept = [p for p in split_paragraphs(record.text) if WORD not in p]
    if kept:
        record.text = join_paragraphs(kept)
    return record


def affected(text: str) -> bool:
    paragraphs = split_paragraphs(text)
    return any(WORD in p for p in paragraphs) and not all(WORD in p for p in paragraphs)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_changed_rule_changes_exactly_the_affected_articles(copy: Path, workers: int) -> None:
    before = {row[0]: row for row in rows(copy, "articles")}
    with sqlite3.connect(copy / "provnews.db") as conn:
        texts = dict(conn.execute("SELECT id, text FROM articles"))
        names = [c[1] for c in conn.execute("PRAGMA table_info(articles)")]
    expected = {i for i, text in texts.items() if affected(text)}
    assert 0 < len(expected) < len(texts)

    database = open_database(db(copy))
    report = reextract(database, copy / "provnews-archive", Selection(), workers=workers,
                       extractor=Extractor(extract_without_word, "test+rule2"))
    database.close()

    after = {row[0]: row for row in rows(copy, "articles")}
    changed = {i for i in before if before[i] != after[i]}
    version_at = names.index("extractor_version")
    assert all(row[version_at] == "test+rule2" for row in after.values())
    text_at, hash_at = names.index("text"), names.index("content_hash")
    moved = {i for i in before if before[i][text_at] != after[i][text_at]}
    assert moved == expected and report.changed == len(expected) and report.versions == len(expected)
    # Unaffected rows differ in the extractor version only.
    for i in changed - expected:
        assert [n for n, a, b in zip(names, before[i], after[i]) if a != b] == ["extractor_version"]
    assert all(WORD not in p for i in expected for p in split_paragraphs(after[i][text_at]))
    with sqlite3.connect(copy / "provnews.db") as conn:
        new_versions = conn.execute("SELECT article_id, version, origin, extractor_version, archive_id, content_hash "
                                    "FROM article_versions WHERE version > 1").fetchall()
    assert {v[0] for v in new_versions} == expected
    assert all(v[1:4] == (2, "reextract", "test+rule2") for v in new_versions)
    assert all(v[4] == before[v[0]][names.index("archive_id")] and v[5] == after[v[0]][hash_at] for v in new_versions)


def test_no_archive_keeps_no_pages(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_cli("crawl", "baolangson", "--no-archive", "--mirror", mirror.url, "--db", db(tmp_path))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "provnews-archive").exists()
    with sqlite3.connect(tmp_path / "provnews.db") as conn:
        total, pointed, stamped = conn.execute(
            "SELECT count(*), count(archive_id), count(extractor_version) FROM articles").fetchone()
        assert total >= 40 and pointed == 0 and stamped == total
        assert conn.execute("SELECT count(*) FROM archive_records").fetchone() == (0,)


def test_the_archive_directory_can_be_set(mirror: MirrorServer, tmp_path: Path) -> None:
    elsewhere = tmp_path / "warcs"
    result = run_cli("crawl", "baolangson", "--mirror", mirror.url, "--db", db(tmp_path),
                     env={"PROVNEWS_ARCHIVE_DIR": str(elsewhere)})
    assert result.returncode == 0, result.stderr
    assert list(elsewhere.glob("*.warc.gz")) and not (tmp_path / "provnews-archive").exists()
    verified = run_cli("archive", "verify", "--db", db(tmp_path), env={"PROVNEWS_ARCHIVE_DIR": str(elsewhere)})
    assert verified.returncode == 0, verified.stdout
