"""Database fixtures: every storage test runs on SQLite and, when configured, PostgreSQL.

PostgreSQL comes from ``PROVNEWS_TEST_POSTGRES_URL``; each test gets a fresh
schema (``search_path`` set through the connection options) dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage import Database, open_database

POSTGRES_ENV = "PROVNEWS_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_reachable: dict[str, str | None] = {}


def _postgres_problem(url: str) -> str | None:
    """Why the server cannot be used, or None; asked once per run."""
    if url not in _reachable:
        try:
            engine = create_engine(url, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
            _reachable[url] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "skip"
            _reachable[url] = f"{POSTGRES_ENV} does not answer: {str(exc).splitlines()[0]}"
    return _reachable[url]


def postgres_base_url(when_unset: str) -> str:
    """The server URL of ``PROVNEWS_TEST_POSTGRES_URL``; the test is skipped, with the
    reason, when it is unset (``when_unset`` says what is skipped) or does not answer."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set; {when_unset}")
    problem = _postgres_problem(base)
    if problem:
        pytest.skip(problem)
    return base


def postgres_schema_url() -> Iterator[str]:
    base = postgres_base_url("PostgreSQL storage tests skipped")
    schema = f"provnews_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def backend_url(backend: str, directory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'provnews.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database (nothing migrated yet)."""
    yield from backend_url(request.param, tmp_path)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as session:
        yield session
