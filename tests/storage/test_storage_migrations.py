from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from storage import (
    StorageError,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    open_database,
    upgrade,
)
from storage.models import Base

TABLES = {"articles", "article_urls"}


def user_tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {name for name in inspect(engine).get_table_names()
            if not name.startswith(("articles_fts", "articles_exact", "articles_head", "articles_pairs"))}


def test_upgrade_from_empty_downgrade_and_upgrade_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert TABLES <= user_tables(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert user_tables(engine) <= {"alembic_version"}
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                leftovers = connection.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'articles%'"))
                assert leftovers.all() == []
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_search_objects_exist_after_upgrade(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "sqlite":
            names = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master"))}
            assert {"articles_fts", "articles_fts_ai", "articles_fts_ad", "articles_fts_au"} <= names
            assert {"articles_exact", "articles_head", "articles_exact_ai", "articles_exact_ad",
                    "articles_exact_au", "articles_pairs"} <= names
        else:
            indexes = {ix["name"] for ix in inspect(connection).get_indexes("articles")}
            columns = {c["name"] for c in inspect(connection).get_columns("articles")}
            assert "ix_articles_search_vector" in indexes and "search_vector" in columns
            assert "ix_articles_search_exact" in indexes and {"search_exact", "search_head"} <= columns
            assert "ix_articles_search_pairs" in indexes
            assert "ix_articles_search_tsv" not in indexes  # 0006 replaced the expression index


def test_models_match_migrations(db) -> None:  # type: ignore[no-untyped-def]
    def ours(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
        # The FTS objects are migration-only: no model describes them (the tsvector
        # columns and their indexes exist on PostgreSQL only, migrations 0006, 0010 and 0014).
        return (name or "") not in {"search_vector", "ix_articles_search_vector", "search_exact", "search_head",
                                    "ix_articles_search_exact", "ix_articles_search_pairs"} and not (name or "").startswith(
            ("articles_fts", "articles_exact", "articles_head", "articles_pairs", "alembic_version"))

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": ours, "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_open_database_is_idempotent(db_url: str) -> None:
    for _ in range(2):
        database = open_database(db_url)
        assert current_revision(database.engine) == head_revision()
        database.close()


def test_unknown_schema_revision_is_a_storage_error(db) -> None:  # type: ignore[no-untyped-def]
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from_the_future'"))
    with pytest.raises(StorageError, match="schema"):
        open_database(str(db.engine.url.render_as_string(hide_password=False)))
