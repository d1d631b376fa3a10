"""The store writes a batch in a handful of multi-row statements, with the outcome of
storing its records one after the other, and every lookup it makes is served by an
index (EXPLAIN), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, text

from crawler.core.record import ArticleRecord, normalise
from crawler.core.urls import url_key
from crawler.frontier import Frontier
from pipelines.store import StorePipeline
from storage.database import open_database
from storage.engine import Database
from tests.storage.conftest import BACKENDS, backend_url

OUTLET = "baolangson"
SENTENCE = ("mưa lớn kéo dài khiến nhiều tuyến đường ở huyện Cao Lộc bị sạt lở nghiêm trọng "
         "chính quyền địa phương đã huy động lực lượng khắc phục hậu quả và hỗ trợ người dân "
         "di dời tài sản đến nơi an toàn trong đêm qua")
WORDS = SENTENCE.split()


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from backend_url(request.param, tmp_path)


@pytest.fixture
def other_url(request: pytest.FixtureRequest, url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same backend."""
    (tmp_path / "other").mkdir()
    yield from backend_url("sqlite" if url.startswith("sqlite") else "postgresql", tmp_path / "other")


def record(n: int, words: list[str] | None = None, url: str | None = None) -> ArticleRecord:
    body = " ".join(words or [f"{w}{n}" for w in WORDS])
    return normalise(ArticleRecord(url=url or f"https://baolangson.vn/bai-{n}-50000{n:02d}.html", outlet=OUTLET,
                                   title=f"Bài {n}", text=f"{body}.", fetched_at=datetime.now(UTC)))


def near(n: int) -> list[str]:
    """The words of article ``n`` with one changed: the same story."""
    words = [f"{w}{n}" for w in WORDS]
    words[-1] = "khác"
    return words


def batch() -> list[ArticleRecord]:
    """New articles, a near-copy of a stored one and of one earlier in the batch (two
    stories joined), an exact copy of a stored text under another URL, a revision of a
    stored article and an unchanged one."""
    return [record(10), record(11, near(1)), record(12, near(10)), record(13, [f"{w}2" for w in WORDS]),
            record(3, [*WORDS, "sửa"], url=record(3).url), record(4), record(14)]


def store(database: Database, batch_size: int) -> StorePipeline:
    return StorePipeline(Frontier(database, 600), batch_size, {OUTLET: "Lạng Sơn"}, 0.5)


def snapshot(database: Database) -> dict[str, list[tuple]]:
    queries = {
        "articles": "SELECT id, url_key, content_hash, title FROM articles ORDER BY id",
        "urls": "SELECT article_id, url_key FROM article_urls ORDER BY url_key",
        "versions": "SELECT article_id, version, content_hash, diff FROM article_versions ORDER BY article_id, version",
        "stories": "SELECT article_id, story_id FROM signatures ORDER BY article_id",
        "frontier": "SELECT url_key, state FROM frontier ORDER BY url_key",
    }
    with database.engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in queries.items()}


def seeded(url: str) -> Database:
    database = open_database(url)
    pipeline = store(database, 1)
    for n in range(5):
        pipeline.process_item(record(n))
    pipeline.close_spider()
    return database


def test_a_batch_stores_what_one_record_at_a_time_stores(url: str, other_url: str) -> None:
    one_by_one = seeded(url)
    try:
        pipeline = store(one_by_one, 1)
        with one_by_one.session() as session, session.begin():
            outcomes = [pipeline._store(session, r) for r in batch()]
        expected = snapshot(one_by_one)
    finally:
        one_by_one.engine.dispose()
    batched = seeded(other_url)
    try:
        pipeline = store(batched, 100)
        with batched.session() as session, session.begin():
            assert pipeline._store_batch(session, batch()) == outcomes
        assert snapshot(batched) == expected
    finally:
        batched.engine.dispose()
    assert outcomes == ["inserted", "inserted", "inserted", "duplicate", "updated", "unchanged", "inserted"]
    stories = dict(expected["stories"])
    ids = {row[1]: row[0] for row in expected["articles"]}
    by_n = {n: ids[url_key(record(n).url)] for n in (1, 10, 11, 12)}
    assert stories[by_n[11]] == stories[by_n[1]] and stories[by_n[12]] == stories[by_n[10]] == by_n[10]


class Statements:
    """The SQL statements an engine runs (an executemany counts once)."""

    def __init__(self, database: Database):
        self.seen: list[tuple[str, object]] = []
        event.listen(database.engine, "before_cursor_execute", self.note)

    def note(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.seen.append((statement, parameters))


def test_statements_per_batch_do_not_grow_with_the_batch(url: str) -> None:
    database = seeded(url)
    try:
        counts = []
        for first, size in ((100, 10), (200, 60)):
            pipeline = store(database, size)
            statements = Statements(database)
            for n in range(first, first + size):
                pipeline.process_item(record(n))
            pipeline.flush()
            counts.append(len(statements.seen))
            event.remove(database.engine, "before_cursor_execute", statements.note)
    finally:
        database.engine.dispose()
    assert counts[0] == counts[1] and counts[0] <= 20, counts


def test_every_lookup_of_the_store_uses_an_index(url: str) -> None:
    database = seeded(url)
    try:
        pipeline = store(database, 100)
        statements = Statements(database)
        for item in batch():
            pipeline.process_item(item)
        pipeline.flush()
        event.remove(database.engine, "before_cursor_execute", statements.note)
        lookups = [(sql, params) for sql, params in statements.seen
                   if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE"))]
        assert len(lookups) >= 6
        with database.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            for sql, params in lookups:
                plan = _plan(raw, sql, params, database.engine.dialect.name)
                assert not _scans(plan, database.engine.dialect.name), (sql, plan)
    finally:
        database.engine.dispose()


def _plan(raw, sql: str, params, dialect: str) -> list[str]:
    """The query plan of one statement as the store ran it (first parameter set)."""
    if isinstance(params, list):
        params = params[0]
    cursor = raw.cursor()
    try:
        if dialect == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [row[-1] for row in cursor.fetchall()]
        # Tiny tables make a sequential scan cheapest; forbidding it shows whether an
        # index can serve the statement at all.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cursor.fetchall()]
    finally:
        raw.rollback()
        cursor.close()


def _scans(plan: list[str], dialect: str) -> list[str]:
    """Plan lines that read a whole table."""
    if dialect == "sqlite":
        return [line for line in plan if line.startswith("SCAN") and "USING" not in line
                and "CONSTANT ROW" not in line]
    return [line for line in plan if "Seq Scan" in line]
