"""Storage faults as SQLite's own test suite injects them: each is a
one-line StorageError with a reason, and nothing of the failed transaction is kept."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import (
    ArticleWrite,
    StorageError,
    make_url_key,
    open_database,
    upsert_articles,
)
from storage.engine import BUSY_TIMEOUT_ENV, MAX_PAGES_ENV
from storage.models import Article
from tests.storage.test_storage_queries import record


def writes(start: int, n: int, words: int = 1) -> list[ArticleWrite]:
    out = []
    for i in range(start, start + n):
        rec = record(f"https://baolangson.vn/tin-{i}.html", text=f"Bài {i}. " + "Lạng Sơn mưa lớn. " * words)
        out.append(ArticleWrite(rec, make_url_key(rec.url)))
    return out


def count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


@pytest.fixture
def quick_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "100")


def hold_exclusive(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_locked_writer_is_retried_until_the_lock_goes(tmp_path: Path, quick_lock: None) -> None:
    path = tmp_path / "p.db"
    db = open_database(f"sqlite:///{path}")
    other = hold_exclusive(path)
    releaser = threading.Timer(0.4, lambda: other.execute("ROLLBACK"))
    releaser.start()
    try:
        started = time.monotonic()
        db.run_in_transaction(lambda s: upsert_articles(s, writes(0, 3)), retries=6)
        assert time.monotonic() - started >= 0.3
    finally:
        releaser.join()
        other.close()
        db.close()
    assert count(path) == 3


def test_locked_writer_gives_up_within_a_bound(tmp_path: Path, quick_lock: None) -> None:
    path = tmp_path / "p.db"
    db = open_database(f"sqlite:///{path}")
    pauses: list[float] = []
    db.sleep = pauses.append  # record the backoff instead of sleeping
    other = hold_exclusive(path)
    try:
        started = time.monotonic()
        with pytest.raises(StorageError) as error:
            db.run_in_transaction(lambda s: upsert_articles(s, writes(0, 3)), retries=3)
        elapsed = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert error.value.reason == "locked"
    message = str(error.value)
    assert "\n" not in message and "database is locked" in message and "4 attempts" in message
    assert len(pauses) == 3 and pauses[0] < pauses[2]  # doubling, jittered
    assert all(0.1 <= p <= 0.2 * 4 * 1.5 for p in pauses)
    assert elapsed < 4 * 0.1 + 2  # four busy timeouts of 0.1 s, not 30 s each
    db.close()
    assert count(path) == 0


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    calls = []

    def work(_session):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise StorageError("database x: database or disk is full", "full")

    with pytest.raises(StorageError, match="full"):
        db.run_in_transaction(work, retries=5)
    assert calls == [1]
    db.close()


def test_disk_full_keeps_nothing_of_the_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.db"
    db = open_database(f"sqlite:///{path}")
    db.run_in_transaction(lambda s: upsert_articles(s, writes(0, 5)))
    with db.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    db.close()
    monkeypatch.setenv(MAX_PAGES_ENV, str(pages + 2))
    full = open_database(f"sqlite:///{path}")
    with pytest.raises(StorageError) as error:
        full.run_in_transaction(lambda s: upsert_articles(s, writes(100, 200, words=50)))
    full.close()
    assert error.value.reason == "full"
    assert "\n" not in str(error.value) and "database or disk is full" in str(error.value)
    assert count(path) == 5


def test_read_only_database(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    open_database(f"sqlite:///{path}").close()
    db = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    with db.read_session() as session:
        assert session.scalar(select(func.count(Article.id))) == 0  # reading works
    with pytest.raises(StorageError) as error:
        db.run_in_transaction(lambda s: upsert_articles(s, writes(0, 1)))
    db.close()
    assert error.value.reason == "readonly" and "\n" not in str(error.value)


def corrupt_copy(tmp_path: Path) -> Path:
    """A database with rows whose pages after the header are overwritten (SQLITE_CORRUPT)."""
    path = tmp_path / "corrupt.db"
    db = open_database(f"sqlite:///{path}")
    db.run_in_transaction(lambda s: upsert_articles(s, writes(0, 50, words=30)))
    db.close()  # checkpoints the WAL into the file
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page, len(data), page):  # every page but the first: the schema stays readable
        data[offset + 8: offset + 64] = b"\xff" * 56
    path.write_bytes(bytes(data))
    return path


def test_corrupt_file_is_a_storage_error(tmp_path: Path) -> None:
    path = corrupt_copy(tmp_path)
    with pytest.raises(StorageError) as error:
        db = open_database(f"sqlite:///{path}")
        with db.read_session() as session:
            session.scalar(select(func.count(Article.id)).where(Article.text.like("%x%")))
    assert error.value.reason == "corrupt" and "\n" not in str(error.value)


def test_integrity_errors_stay_loud(db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db.session() as session, session.begin():
        session.add(Article(url_key="k", url=None, text="", search_text="", first_seen_at=None, last_seen_at=None))
