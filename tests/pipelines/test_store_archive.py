"""The store pipeline commits a pointer only after the WARC record it names is synced."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from crawler.archive.warc import ArchiveWriter, read_page
from crawler.core.record import ArticleRecord, normalise
from crawler.frontier import Frontier
from pipelines.store import StorePipeline
from storage.database import open_database

PAGE = b"<html><body><p>" + "Mưa lớn ở Lạng Sơn. ".encode() * 30 + b"</p></body></html>"


class WatchedWriter(ArchiveWriter):
    """Notes, at each sync, how many pointers the database already holds."""

    def __init__(self, directory: Path, db_path: Path):
        super().__init__(directory, 10**9)
        self.db_path = db_path
        self.pointers_at_sync: list[int] = []

    def sync(self) -> None:
        with sqlite3.connect(self.db_path) as conn:
            self.pointers_at_sync.append(conn.execute("SELECT count(*) FROM archive_records").fetchone()[0])
        super().sync()


def test_sync_comes_before_the_commit_of_the_pointer(tmp_path: Path) -> None:
    db_path = tmp_path / "provnews.db"
    database = open_database(f"sqlite:///{db_path}")
    writer = WatchedWriter(tmp_path / "archive", db_path)
    store = StorePipeline(Frontier(database, 600), 2, {"baolangson": "Lạng Sơn"}, 0.5, archive=writer)
    for n in range(3):
        url = f"https://baolangson.vn/bai-{n}-500000{n}.html"
        record = normalise(ArticleRecord(url=url, outlet="baolangson", title=f"Bài {n}",
                                         text=f"Văn bản số {n}. " * 30, fetched_at=datetime.now(UTC)))
        record.archive = writer.write(url, 200, [("Content-Type", "text/html")], PAGE + bytes([n]),
                                      record.fetched_at)
        store.process_item(record)
    store.close_spider()
    syncs = list(writer.pointers_at_sync)
    writer.close()
    # Each batch synced before committing: the first sync saw no pointer, none saw all 3.
    assert len(syncs) >= 2 and syncs[0] == 0 and syncs == sorted(syncs) and max(syncs) < 3, syncs
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT a.extractor_version, r.file, r.offset, r.length, r.digest FROM articles a "
                            "JOIN archive_records r ON r.id = a.archive_id ORDER BY a.id").fetchall()
        origins = conn.execute("SELECT DISTINCT origin FROM article_versions").fetchall()
    assert len(rows) == 3 and origins == [("fetch",)]
    for version, file, offset, length, digest in rows:
        assert version and read_page(tmp_path / "archive", file, offset, length).digest == digest
    database.close()
