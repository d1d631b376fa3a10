"""A crawl killed between fetch and store: the next crawl extracts the pages it had
fetched from the archive and downloads none of them again.

The killed crawl's state is laid out exactly (waiting for the moment in a live crawl
is a race): a whole crawl, then some articles taken back to "fetched, written to the
archive, not stored" (their rows, frontier state and archive rows undone, the WARC
bytes kept, the file's writer marker left unlocked, as a SIGKILL leaves it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from crawler.archive.warc import MARKER
from crawler.mirror.server import MirrorServer
from tests.conftest import run_cli, stored_urls

OUTLET = "baolangson"
UNSTORED = 5


def test_pages_a_killed_crawl_fetched_are_extracted_not_downloaded(mirror: MirrorServer, tmp_path: Path) -> None:
    db_path = tmp_path / "provnews.db"
    args = ["crawl", OUTLET, "--mirror", mirror.url, "--db", f"sqlite:///{db_path}"]
    assert run_cli(*args).returncode == 0
    before = stored_urls(db_path)
    archive = tmp_path / "provnews-archive"
    (warc,) = archive.glob("*.warc.gz")
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        undone = sorted(before)[:UNSTORED]
        for url in undone:
            (archive_id,) = conn.execute("SELECT archive_id FROM articles WHERE url = ?", (url,)).fetchone()
            conn.execute("DELETE FROM articles WHERE url = ?", (url,))
            conn.execute("DELETE FROM archive_records WHERE id = ?", (archive_id,))
            conn.execute("UPDATE frontier SET state = 'pending' WHERE url = ?", (url,))
        records = conn.execute("SELECT count(*) FROM archive_records").fetchone()[0]
    warc.with_name(warc.name + MARKER).touch()  # its writer died
    size = warc.stat().st_size
    mirror.hits.clear()

    result = run_cli(*args)

    assert result.returncode == 0, result.stderr
    assert stored_urls(db_path) == before
    downloaded = {(urlsplit(u).hostname, urlsplit(u).path) for u in undone} & set(mirror.hits)
    assert not downloaded, downloaded
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT r.file, r.request_key IS NOT NULL FROM articles a JOIN archive_records r "
                            "ON r.id = a.archive_id WHERE a.url IN (?, ?, ?, ?, ?)", undone).fetchall()
        assert conn.execute("SELECT count(*) FROM archive_records").fetchone()[0] == records + UNSTORED
    # Each points to the killed crawl's record, which was not written a second time.
    assert rows == [(warc.name, 1)] * UNSTORED
    assert warc.stat().st_size == size and not list(archive.glob(f"*{MARKER}"))
