"""Migration 0002 (province and folded filter keys) over a database that already holds articles."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import inspect, select, text

from storage import (
    current_revision,
    downgrade,
    make_engine,
    open_database,
    search,
    upgrade,
)
from storage.models import Article
from storage.search import filters

NEW_COLUMNS = {"province", "province_key", "section_key", "authors_key"}


def _fill_at_0001(engine, n: int = 5) -> None:  # type: ignore[no-untyped-def]
    """Rows written as provnews 0001 wrote them (raw SQL: the 0001 schema has no new columns)."""
    now = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
    with engine.begin() as connection:
        for i in range(n):
            connection.execute(text(
                "INSERT INTO articles (url_key, outlet, url, title, text, authors, tags, images, word_count,"
                " search_text, section, published_at, first_seen_at, last_seen_at)"
                " VALUES (:k, 'baolangson', :u, :t, :x, :a, '[]', '[]', 3, :s, :sec, :p, :n, :n)"),
                {"k": f"{i:040d}", "u": f"https://baolangson.vn/a-{i}.html", "t": f"Tin số {i}",
                 "x": "Mưa lớn ở Lạng Sơn", "a": json.dumps(["Nguyễn Minh Anh", "Trần Đức"] if i % 2 else []),
                 "s": f"tin so {i} mua lon o lang son", "sec": "Thời sự" if i % 2 else None,
                 "p": now if engine.dialect.name == "postgresql" else now.replace(tzinfo=None), "n": now})
            connection.execute(text(
                "INSERT INTO article_urls (article_id, url, url_key) VALUES"
                " ((SELECT id FROM articles WHERE url_key = :k), :u, :k)"),
                {"k": f"{i:040d}", "u": f"https://baolangson.vn/a-{i}.html"})


def _snapshot(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(
            "SELECT a.id, a.url_key, a.url, a.title, a.text, a.section, a.published_at, u.url"
            " FROM articles a JOIN article_urls u ON u.article_id = a.id ORDER BY a.id"))]


def test_upgrade_from_0001_with_data_keeps_everything_and_backfills_keys(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        _fill_at_0001(engine)
        before = _snapshot(engine)
        upgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        assert NEW_COLUMNS <= {c["name"] for c in inspect(engine).get_columns("articles")}
        assert _snapshot(engine) == before
        with engine.connect() as connection:
            keys = connection.execute(text(
                "SELECT section_key, authors_key, province FROM articles ORDER BY id")).all()
        assert keys[1] == ("thoi su", "|nguyen minh anh|tran duc|", None)
        assert keys[0] == (None, None, None)
    finally:
        engine.dispose()
    database = open_database(db_url)
    try:
        with database.read_session() as session:
            hits = search(session, "lạng sơn", section="thoi su", author="minh anh")
            assert len(hits) == 2  # rows 1 and 3: the filters work on migrated rows at once
            assert session.scalars(select(Article.id).where(*filters(author="đức"))).all()
    finally:
        database.close()


def test_downgrade_0002_keeps_rows_and_search_index(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        _fill_at_0001(engine)
        before = _snapshot(engine)
        upgrade(engine, "0002")
        downgrade(engine, "0001")
        assert current_revision(engine) == "0001"
        assert not NEW_COLUMNS & {c["name"] for c in inspect(engine).get_columns("articles")}
        assert _snapshot(engine) == before
        if engine.dialect.name == "sqlite":
            with engine.begin() as connection:  # the FTS triggers survived: a new row is indexed
                connection.execute(text(
                    "INSERT INTO articles (url_key, url, text, authors, tags, images, word_count, search_text,"
                    " first_seen_at, last_seen_at) VALUES ('k', 'u', '', '[]', '[]', '[]', 0, 'dong dang', 0, 0)"))
                found = connection.execute(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'dong'"))
                assert len(found.all()) == 1
        upgrade(engine, "0002")
        assert current_revision(engine) == "0002"
    finally:
        engine.dispose()
