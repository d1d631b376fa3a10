"""Opening a database: connect, check it answers, and bring its schema to head."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from storage.engine import (
    Database,
    database_url,
    make_engine,
    missing_sqlite_file,
    safe_url,
)
from storage.errors import StorageError, first_line
from storage.migrate import current_revision, head_revision, upgrade


def open_database(url: str | None = None, *, upgrade_schema: bool = True, create: bool = True) -> Database:
    """Connect, check the server or file answers, and bring the schema to head.

    Every expected failure (not a SQLite file, server down, unknown schema
    revision) becomes a one-line StorageError. With ``create=False`` (commands that
    only read) a SQLite file that does not exist is an error rather than created
    empty: a mistyped path would otherwise answer "0 results".
    """
    url = database_url(url)
    missing = None if create else missing_sqlite_file(url)
    if missing is not None:
        raise StorageError(f"no database at {missing}: nothing was crawled into it yet (check --db or "
                           "PROVNEWS_DATABASE_URL; `provnews crawl` creates it)", "missing")
    engine = make_engine(url)
    database = Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
    try:
        # Read the revision without SQLite's write lock: a database already at
        # head (the usual case) opens even while a crawl holds the writer lock.
        revision = current_revision(engine)
        if upgrade_schema and revision != head_revision():
            database.retry_locked(lambda: upgrade(engine))
    except StorageError:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise StorageError(f"cannot open database {safe_url(url)}: {first_line(exc.orig or exc)}") from exc
    return database
