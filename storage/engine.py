"""Engines, sessions and first-use schema upgrade.

SQLite connections get WAL, ``synchronous=NORMAL``, a 30 s busy timeout and
foreign keys (reliability.md §1.7). pysqlite's own transaction handling starts a
deferred ``BEGIN`` that fails at once with "database is locked" when a reader
later writes, whatever the timeout; so the driver is put in autocommit mode and
every SQLAlchemy transaction emits ``BEGIN IMMEDIATE`` itself (the SQLAlchemy
pysqlite "serializable isolation / savepoints" recipe). Read-only work can ask
for a plain deferred ``BEGIN`` with ``Database.read_session()``.

Reads ``PROVNEWS_DATABASE_URL``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import StorageError
from storage.search import count_needles

DEFAULT_DATABASE_URL = "sqlite:///provnews.db"
DATABASE_URL_ENV = "PROVNEWS_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 30_000
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


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: SQLAlchemy's begin event owns BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
    # search.py ranks exact-diacritic matches; SQLite's lower() is ASCII-only.
    dbapi_connection.create_function("pn_exact", 2, count_needles, deterministic=True)


def _on_sqlite_begin(connection: Any) -> None:
    readonly = connection.get_execution_options().get(_READONLY, False)
    connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or ``postgresql+psycopg://`` URL; raises StorageError on a bad URL."""
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed)
            event.listen(engine, "connect", _on_sqlite_connect)
            event.listen(engine, "begin", _on_sqlite_begin)
            return engine
        connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S} if parsed.get_backend_name() == "postgresql" else {}
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StorageError(f"invalid database URL {safe_url(url)}: {exc}") from exc


@dataclass
class Database:
    """An engine and its one sessionmaker; the caller frames each unit of work."""

    engine: Engine
    sessions: sessionmaker[Session]

    def session(self) -> Session:
        """A writer session (``BEGIN IMMEDIATE`` on SQLite). Use as ``with db.session() as s, s.begin():``."""
        return self.sessions()

    def read_session(self) -> Session:
        """A session whose transactions do not take SQLite's write lock."""
        return self.sessions(bind=self.engine.execution_options(**{_READONLY: True}))

    def close(self) -> None:
        self.engine.dispose()


def open_database(url: str | None = None, *, upgrade_schema: bool = True) -> Database:
    """Connect, check the server or file answers, and bring the schema to head.

    Every expected failure (not a SQLite file, server down, unknown schema
    revision) becomes a one-line StorageError.
    """
    from storage.migrate import upgrade  # migrate imports engine helpers

    url = database_url(url)
    engine = make_engine(url)
    try:
        if upgrade_schema:
            upgrade(engine)
        else:
            with engine.connect():
                pass
    except StorageError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise StorageError(f"cannot open database {safe_url(url)}: {_first_line(exc.orig or exc)}") from exc
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
