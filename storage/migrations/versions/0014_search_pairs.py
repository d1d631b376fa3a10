"""A word-pair index: each article's adjacent-syllable pairs as single tokens, without
positions, so the phrase tier is answered by short doclists instead of position lists.

At 1M articles a phrase of common syllables ("phát triển bền vững") read the position
lists of four of the commonest words (117 ms on SQLite), and PostgreSQL, whose GIN
index stores no positions, rechecked the whole tsvector of every article holding the
words (5.5 s CPU at 50k rows; bench/storage.py). The pairs ("phat_trien", see
storage.search_query.PAIR_JOIN) name the phrase's articles directly.

SQLite: a contentless FTS5 table, ``detail=none`` (no positions), written by
``storage.queries`` beside each article (FTS5 cannot cut pairs itself, and a trigger
calling a Python function would break every plain ``sqlite3`` connection). PostgreSQL:
an expression GIN index over ``provnews_pairs(...)``, which cuts the pairs from the
positions of the same tsvectors the phrase operator reads, so both agree.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from alembic import op

from storage.queries import fill_pairs

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TABLE = ("CREATE VIRTUAL TABLE articles_pairs USING fts5(pairs, content='', detail=none,"
                " tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")")

# As in 0010: Vietnamese letters with marks and their base letters, written out.
_MARKED = ("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
           "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ")
_BASE = "".join("d" if c in "đĐ" else unicodedata.normalize("NFD", c)[0].lower() for c in _MARKED)

# Pairs of each text joined as storage.search_query.PAIR_JOIN says: "_" folded
# (search_text), "__" exact (title, lead and body as search_exact reads them), "___"
# the folded title and "____" the folded lead (as search_head reads them).
POSTGRES_FUNCTION = f"""
CREATE FUNCTION provnews_pairs(search_text text, title text, summary text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT array_to_tsvector(coalesce(array_agg(DISTINCT pair), '{{}}'::text[])) FROM (
    SELECT lexeme || sep || lead(lexeme) OVER w AS pair, lead(pos) OVER w - pos AS gap
    FROM (VALUES ('_', coalesce(search_text, '')),
                 ('__', coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(body, '')),
                 ('___', translate(coalesce(title, ''), '{_MARKED}', '{_BASE}')),
                 ('____', translate(coalesce(summary, ''), '{_MARKED}', '{_BASE}'))) AS src(sep, doc),
         unnest(to_tsvector('simple'::regconfig, src.doc)) AS u(lexeme, positions, weights),
         unnest(u.positions) AS p(pos)
    WINDOW w AS (PARTITION BY sep ORDER BY pos)
) pairs WHERE gap = 1
$$"""
POSTGRES_INDEX = ("CREATE INDEX ix_articles_search_pairs ON articles"
                  " USING gin (provnews_pairs(search_text, title, summary, text))")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(SQLITE_TABLE)
        fill_pairs(bind)
    elif bind.dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_INDEX)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS articles_pairs")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_pairs")
        op.execute("DROP FUNCTION IF EXISTS provnews_pairs(text, text, text, text)")
