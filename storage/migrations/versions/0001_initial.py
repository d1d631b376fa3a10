"""Initial schema: articles, article_urls, full-text search objects.

Revision ID: 0001
Revises:
Create Date: 2026-08-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# External-content FTS5 table over the already folded column: the index stores
# tokens only, the text stays in ``articles``. remove_diacritics 2 is a second
# safety net for text folded by an older fold().
SQLITE_FTS = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        search_text, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    END""",
    # Only a changed search_text re-indexes: touching last_seen_at stays cheap.
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF search_text ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
        INSERT INTO articles_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]
# Must stay textually equal to the expression search.py queries, or the planner skips it.
POSTGRES_FTS = [
    "CREATE INDEX ix_articles_search_tsv ON articles USING gin (to_tsvector('simple'::regconfig, search_text))",
]
POSTGRES_FTS_DROP = ["DROP INDEX IF EXISTS ix_articles_search_tsv"]


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url_key", sa.String(40), nullable=False),
        sa.Column("outlet", sa.String(100), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("attribution", sa.Text(), nullable=True),
        sa.Column("published_at", _utc(), nullable=True),
        sa.Column("published_offset_minutes", sa.Integer(), nullable=True),
        sa.Column("published_at_source", sa.String(100), nullable=True),
        sa.Column("updated_at", _utc(), nullable=True),
        sa.Column("updated_offset_minutes", sa.Integer(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(20), nullable=True),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("encoding", sa.String(40), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("fetched_at", _utc(), nullable=True),
        sa.Column("first_seen_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url_key", name=op.f("uq_articles_url_key")),
    )
    op.create_index(op.f("ix_articles_outlet"), "articles", ["outlet"])
    op.create_index(op.f("ix_articles_content_hash"), "articles", ["content_hash"])
    op.create_index(op.f("ix_articles_published_at"), "articles", ["published_at"])
    op.create_table(
        "article_urls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(40), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"],
            name=op.f("fk_article_urls_article_id_articles"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_urls")),
        sa.UniqueConstraint("url_key", name=op.f("uq_article_urls_url_key")),
    )
    op.create_index(op.f("ix_article_urls_article_id"), "article_urls", ["article_id"])
    for statement in _fts_ddl(create=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _fts_ddl(create=False):
        op.execute(statement)
    op.drop_index(op.f("ix_article_urls_article_id"), table_name="article_urls")
    op.drop_table("article_urls")
    op.drop_index(op.f("ix_articles_published_at"), table_name="articles")
    op.drop_index(op.f("ix_articles_content_hash"), table_name="articles")
    op.drop_index(op.f("ix_articles_outlet"), table_name="articles")
    op.drop_table("articles")


def _fts_ddl(create: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_FTS if create else SQLITE_FTS_DROP
    if dialect == "postgresql":
        return POSTGRES_FTS if create else POSTGRES_FTS_DROP
    return []
