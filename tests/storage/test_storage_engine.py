from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import (
    DEFAULT_DATABASE_URL,
    StorageError,
    database_url,
    make_engine,
    open_database,
)


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVNEWS_DATABASE_URL", raising=False)
    assert database_url(None) == DEFAULT_DATABASE_URL == "sqlite:///provnews.db"
    monkeypatch.setenv("PROVNEWS_DATABASE_URL", "sqlite:///env.db")
    assert database_url(None) == "sqlite:///env.db"
    assert database_url("sqlite:///cli.db") == "sqlite:///cli.db"


def test_sqlite_pragmas(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("busy_timeout") == 30000
        assert pragma("foreign_keys") == 1
    db.close()


def test_writer_sessions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    db = open_database(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with db.session() as session, session.begin():
            session.execute(text("SELECT 1"))  # a read only, yet the lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        with db.read_session() as session, session.begin():
            session.execute(text("SELECT count(*) FROM articles"))
            other.execute("BEGIN IMMEDIATE")  # readers do not block the writer
            other.execute("ROLLBACK")
    finally:
        other.close()
        db.close()


def test_not_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    content = b"these are my notes, not a database\n" * 200
    path.write_bytes(content)
    with pytest.raises(StorageError) as error:
        open_database(f"sqlite:///{path}")
    message = str(error.value)
    assert "\n" not in message and "not a database" in message and str(path) in message
    assert path.read_bytes() == content  # nothing written over the user's file


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot open database"):
        open_database(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")


def test_unreachable_postgres() -> None:
    with pytest.raises(StorageError) as error:
        open_database("postgresql+psycopg://provnews:secret@127.0.0.1:1/provnews")
    message = str(error.value)
    assert "\n" not in message and "127.0.0.1:1" in message
    assert "secret" not in message  # the password is never printed


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://x/y", ""])
def test_invalid_urls(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVNEWS_DATABASE_URL", "not a url")
    with pytest.raises(StorageError, match="is not a database URL|invalid database URL"):
        open_database(url or None)


def test_make_engine_for_postgres_does_not_connect() -> None:
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")
    assert engine.dialect.name == "postgresql"
    engine.dispose()
