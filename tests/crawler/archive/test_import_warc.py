"""import-warc: a WARC written by Debian's wget (fixtures/make_wget_warc.py) comes in
through the crawl's pipelines, as a fetched page would."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from crawler.archive.warc import ArchiveWriter
from crawler.core.registry import load_registry
from crawler.extraction import extract_bytes
from crawler.mirror.server import SITES_DIR
from tests.conftest import run_cli

FIXTURE = Path(__file__).parent / "fixtures" / "wget.warc.gz"
URL = "http://baolangson.vn/dua-nuoc-ve-ban-5000013.html"


def test_a_wget_warc_stores_the_article(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'provnews.db'}"
    result = run_cli("import-warc", str(FIXTURE), "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    # warcinfo, request, metadata and resource records are passed over without a word.
    assert json.loads(result.stdout) == {"responses": 1, "stored": 1, "skipped": {}}
    page = (SITES_DIR / "baolangson.vn" / URL.rsplit("/", 1)[1]).read_bytes()
    expected = extract_bytes(page, URL, content_type="text/html; charset=utf-8",
                             outlet=load_registry(None)["baolangson"])
    with sqlite3.connect(tmp_path / "provnews.db") as conn:
        (title, text, outlet, province, archive_id), = conn.execute(
            "SELECT title, text, outlet, province, archive_id FROM articles").fetchall()
        versions = conn.execute("SELECT version, origin, archive_id FROM article_versions").fetchall()
        frontier = conn.execute("SELECT state FROM frontier").fetchall()
    assert (title, text, outlet) == (expected.title, expected.text, "baolangson") and province
    assert versions == [(1, "import", archive_id)] and frontier == [("done",)]
    verified = run_cli("archive", "verify", "--db", db)
    assert verified.returncode == 0 and json.loads(verified.stdout)["pointers"] == 2
    assert run_cli("archive", "get", URL, "--db", db).stdout.encode() == page

    again = run_cli("import-warc", str(FIXTURE), "--db", db)
    assert again.returncode == 0
    with sqlite3.connect(tmp_path / "provnews.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM article_versions").fetchone() == (1,)


def test_pages_of_unregistered_sites_are_skipped(tmp_path: Path) -> None:
    other = tmp_path / "other"
    writer = ArchiveWriter(other, 10**9)
    writer.write("https://example.com/news/1.html", 200, [("Content-Type", "text/html")],
                 b"<html><title>x</title><p>" + b"word " * 100 + b"</p></html>", datetime.now(UTC))
    writer.close()
    (path,) = other.glob("*.warc.gz")
    result = run_cli("import-warc", str(path), "--format", "json", "--db", f"sqlite:///{tmp_path / 'p.db'}")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"responses": 1, "stored": 0, "skipped": {"not_an_article_url": 1}}
    assert run_cli("import-warc", str(tmp_path / "nope.warc.gz"), "--db", f"sqlite:///{tmp_path / 'p.db'}").returncode == 5
