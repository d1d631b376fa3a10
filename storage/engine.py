"""Engines, sessions and first-use schema upgrade.

SQLite connections get WAL, ``synchronous=NORMAL``, a 30 s busy timeout and
foreign keys. pysqlite's own transaction handling starts a
deferred ``BEGIN`` that fails at once with "database is locked" when a reader
later writes, whatever the timeout; so the driver is put in autocommit mode and
every SQLAlchemy transaction emits ``BEGIN IMMEDIATE`` itself (the SQLAlchemy
pysqlite "serializable isolation / savepoints" recipe). Read-only work can ask
for a plain deferred ``BEGIN`` with ``Database.read_session()``.

Faults of the environment (locked, full, read-only, corrupt, server gone) come
out of every statement as a one-line ``StorageError`` (``handle_error`` hook).
SQLite writers that meet a lock held past the busy timeout are retried a bounded
number of times with jittered backoff by ``Database.run_in_transaction``.

Reads ``PROVNEWS_DATABASE_URL``, ``PROVNEWS_SQLITE_BUSY_TIMEOUT_MS`` (default
30000) and ``PROVNEWS_SQLITE_MAX_PAGES`` (a cap on the file size in pages; unset
means no cap).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import StorageError, classify, first_line

DEFAULT_DATABASE_URL = "sqlite:///provnews.db"
DATABASE_URL_ENV = "PROVNEWS_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
BUSY_TIMEOUT_ENV = "PROVNEWS_SQLITE_BUSY_TIMEOUT_MS"
MAX_PAGES_ENV = "PROVNEWS_SQLITE_MAX_PAGES"
WRITE_RETRIES = 3
POSTGRES_CONNECT_TIMEOUT_S = 10
_READONLY = "provnews_readonly"


def database_url(cli_value: str | None = None) -> str:
    """The CLI option wins, then ``PROVNEWS_DATABASE_URL``, then the local SQLite file."""
    return cli_value or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def safe_url(url: str) -> str:
    """The URL for messages, password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _env_int(name: str, default: int | None) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise StorageError(f"{name}={raw!r} is not a whole number") from None
    if value < 0:
        raise StorageError(f"{name}={raw!r} must not be negative")
    return value


def busy_timeout_ms() -> int:
    return _env_int(BUSY_TIMEOUT_ENV, SQLITE_BUSY_TIMEOUT_MS) or 0


def _sqlite_connect_listener(busy_ms: int, max_pages: int | None) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        _on_sqlite_connect(dbapi_connection, record, busy_ms)
        if max_pages is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {max_pages}")
    return on_connect


SQLITE_CACHE_KIB = 16 * 1024


def _on_sqlite_connect(dbapi_connection: Any, _record: Any, busy_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # Autocommit at the driver level: SQLAlchemy's begin event owns BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        # Asking is lock-free; switching needs the lock, so only switch a new file
        # (a writer holding the lock must not stop readers from connecting).
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # 16 MB of page cache instead of the default 2 MB: an article row is about a
        # page, so a search's 1,000 row lookups and its FTS doclists overflowed 2 MB
        # and went back to the OS for every page (1M rows: published_at of 1,000 ids
        # 4.5 -> 1.0 ms, a four-syllable AND 12.8 -> 8.6 ms; 64 MB gained nothing more).
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    finally:
        cursor.close()


def read_only(engine: Engine) -> Engine:
    """The same engine whose transactions start with a deferred ``BEGIN`` on SQLite (no write lock)."""
    return engine.execution_options(**{_READONLY: True})


def _on_sqlite_begin(connection: Any) -> None:
    readonly = connection.get_execution_options().get(_READONLY, False)
    connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or ``postgresql+psycopg://`` URL; raises StorageError on a bad URL."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed)
            listener = _sqlite_connect_listener(busy_timeout_ms(), _env_int(MAX_PAGES_ENV, None))
            event.listen(engine, "connect", listener)
            event.listen(engine, "begin", _on_sqlite_begin)
        else:
            connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
            engine = create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StorageError(_bad_url_message(url, exc)) from exc
    event.listen(engine, "handle_error", _environment_fault)
    return engine


def _bad_url_message(url: str, exc: Exception) -> str:
    """Say what to write instead: the usual mistakes are a plain path and a missing driver."""
    if "://" not in url:  # a plain path (it holds no password to hide)
        return f"{url!r} is not a database URL; for a SQLite file write sqlite:///{url}"
    if url.startswith("postgres"):
        return (f"cannot use {safe_url(url)}: PostgreSQL needs its driver, pip install 'provnews[postgres]', "
                "and a postgresql+psycopg:// URL")
    return f"invalid database URL {safe_url(url)}: {exc}"


def missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite URL whose file does not exist yet (None otherwise)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # make_engine reports a bad URL itself
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return None if os.path.exists(parsed.database) else parsed.database


def _environment_fault(context: ExceptionContext) -> None:
    """Re-raise a known environmental driver error as a one-line StorageError.

    Constraint violations and SQL errors (bugs) pass through unchanged.
    """
    error = context.sqlalchemy_exception
    if not isinstance(error, DBAPIError) or isinstance(error, (IntegrityError, ProgrammingError)):
        return
    original = context.original_exception
    known = classify(str(original))
    if known is None:
        return
    reason, hint = known
    url = safe_url(context.engine.url.render_as_string(hide_password=False)) if context.engine else "database"
    prefix = "cannot open database" if reason in ("unavailable", "corrupt") else "database"
    raise StorageError(f"{prefix} {url}: {first_line(original)} ({hint})", reason) from original


T = TypeVar("T")


@dataclass
class Database:
    """An engine and its one sessionmaker; the caller frames each unit of work."""

    engine: Engine
    sessions: sessionmaker[Session]
    # Bounded retry of writer transactions that find the database locked.
    write_retries: int = WRITE_RETRIES
    backoff_s: float = 0.2
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def session(self) -> Session:
        """A writer session (``BEGIN IMMEDIATE`` on SQLite). Use as ``with db.session() as s, s.begin():``."""
        return self.sessions()

    def read_session(self) -> Session:
        """A session whose transactions do not take SQLite's write lock."""
        return self.sessions(bind=read_only(self.engine))

    def retry_locked(self, action: Callable[[], T], *, retries: int | None = None) -> T:
        """Call ``action`` again, after a jittered doubling pause, while it fails with "database is locked"."""
        attempts = 1 + (self.write_retries if retries is None else retries)
        for attempt in range(1, attempts + 1):
            try:
                return action()
            except StorageError as exc:
                if exc.reason != "locked":
                    raise
                if attempt == attempts:
                    raise StorageError(f"{exc}; gave up after {attempt} attempts", "locked") from exc
                pause = self.backoff_s * 2 ** (attempt - 1)
                self.sleep(pause * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def run_in_transaction(self, work: Callable[[Session], T], *, retries: int | None = None) -> T:
        """Run ``work(session)`` in one writer transaction; retry it while the database is locked.

        SQLite already waits ``busy_timeout`` inside ``BEGIN IMMEDIATE``; when
        that runs out, the whole unit of work is rolled back and tried again
        after a jittered, doubling pause, at most ``retries`` more times. Then
        the one-line "database is locked" StorageError is raised. ``work`` must
        be safe to run again (it is: nothing of a failed attempt was committed).
        """
        def attempt() -> T:
            with self.session() as session, session.begin():
                return work(session)

        return self.retry_locked(attempt, retries=retries)

    def close(self) -> None:
        self.engine.dispose()
