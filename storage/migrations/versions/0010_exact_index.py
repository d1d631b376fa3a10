"""A second full-text index that keeps diacritics, and a folded index of the headline.

Search ranked its matches in Python, reading title, lead and text of up to 3,000
candidate rows a query to see which held the words as typed ("cửa khẩu", not "của
khâu") and where (671 ms p95 at 100k rows on SQLite, 7.8 s at 20k on PostgreSQL,
bench/storage.py). These indexes answer both questions in the database:

- exact: title, lead and text, lower case with their diacritics, so "cửa khẩu" is a
  phrase query and never matches "của khâu";
- head: title and lead folded, by column, so "the words are in the title" is a query.

SQLite: FTS5 external-content tables over ``articles`` (the text is not stored twice).
``remove_diacritics 2`` folds every Vietnamese mark except đ, a letter of its own, so
head queries spell each d both ways (storage.search_query). PostgreSQL: generated
tsvector columns; only the exact one has a GIN index, the head one is read for the
few rows a page ranks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE articles_exact USING fts5(
        title, summary, text, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0')""",
    """CREATE VIRTUAL TABLE articles_head USING fts5(
        title, summary, content='articles', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER articles_exact_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_exact(rowid, title, summary, text) VALUES (new.id, new.title, new.summary, new.text);
        INSERT INTO articles_head(rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END""",
    """CREATE TRIGGER articles_exact_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_exact(articles_exact, rowid, title, summary, text)
            VALUES ('delete', old.id, old.title, old.summary, old.text);
        INSERT INTO articles_head(articles_head, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
    END""",
    # Not keyed on search_text like articles_fts: "của" corrected to "cửa" folds alike.
    """CREATE TRIGGER articles_exact_au AFTER UPDATE OF title, summary, text ON articles
        WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary OR old.text IS NOT new.text BEGIN
        INSERT INTO articles_exact(articles_exact, rowid, title, summary, text)
            VALUES ('delete', old.id, old.title, old.summary, old.text);
        INSERT INTO articles_exact(rowid, title, summary, text) VALUES (new.id, new.title, new.summary, new.text);
        INSERT INTO articles_head(articles_head, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
        INSERT INTO articles_head(rowid, title, summary) VALUES (new.id, new.title, new.summary);
    END""",
    "INSERT INTO articles_exact(articles_exact) VALUES ('rebuild')",
    "INSERT INTO articles_head(articles_head) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS articles_exact_au",
    "DROP TRIGGER IF EXISTS articles_exact_ad",
    "DROP TRIGGER IF EXISTS articles_exact_ai",
    "DROP TABLE IF EXISTS articles_head",
    "DROP TABLE IF EXISTS articles_exact",
]

# Vietnamese letters with marks, both cases; translate() maps each to its base letter
# (đ to d), as storage.textfold.fold does. Written out, so the migration never changes.
_MARKED = ("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
           "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ")
_BASE = "".join("d" if c in "đĐ" else unicodedata.normalize("NFD", c)[0].lower() for c in _MARKED)


def _folded(column: str) -> str:
    return f"to_tsvector('simple'::regconfig, translate(coalesce({column}, ''), '{_MARKED}', '{_BASE}'))"


POSTGRES_UP = [
    # One ALTER, so the table is rewritten once.
    ("ALTER TABLE articles"
     " ADD COLUMN search_exact tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig,"
     " coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(text, ''))) STORED,"
     f" ADD COLUMN search_head tsvector GENERATED ALWAYS AS (setweight({_folded('title')}, 'A')"
     f" || setweight({_folded('summary')}, 'B')) STORED"),
    "CREATE INDEX ix_articles_search_exact ON articles USING gin (search_exact)",
]
POSTGRES_DOWN = [
    "ALTER TABLE articles DROP COLUMN search_head, DROP COLUMN search_exact",  # drops the index with it
]


# Search leaves flagged rows out (migration 0007) through this small partial index
# instead of reading each candidate's row.
FLAGGED = "encoding_confidence IS NOT NULL"


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    return []


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)
    op.create_index("ix_articles_flagged", "articles", ["id"], sqlite_where=sa.text(FLAGGED),
                    postgresql_where=sa.text(FLAGGED))


def downgrade() -> None:
    op.drop_index("ix_articles_flagged", "articles")
    for statement in _statements(up=False):
        op.execute(statement)
