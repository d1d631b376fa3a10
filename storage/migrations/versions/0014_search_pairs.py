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
an expression GIN index over ``provnews_pairs(...)`` (no stored column: the pairs of
1M articles would be gigabytes of heap).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from storage.queries import fill_pairs

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TABLE = ("CREATE VIRTUAL TABLE articles_pairs USING fts5(pairs, content='', detail=none,"
                " tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")")

# Pairs joined as storage.search_query.PAIR_JOIN says: "_" folded (search_text), "__"
# exact (title, lead and body run together, lower case, as search_exact reads them).
# Words are cut as storage.search_query.TOKEN cuts them (letters and digits), in one
# pass over two offset slices of the word array: cutting them from to_tsvector's
# positions (unnest, a window) cost 8 ms a row, this 1.3 ms. PostgreSQL ranks the
# title and lead from search_head, so they have no pairs here.
POSTGRES_FUNCTIONS = [
    """CREATE FUNCTION provnews_pair_array(doc text, sep text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x || sep || y), '{}') FROM (SELECT regexp_split_to_array(doc, '[^[:alnum:]]+') AS t) s,
        unnest(t[1:cardinality(t) - 1], t[2:]) AS z(x, y) WHERE x <> '' AND y <> ''
    $$""",
    # PL/pgSQL and a high COST: a SQL function is inlined and costed as cheap, and the
    # planner then read an id range by primary key computing the pairs of every row
    # (4.8 s for a 2,000-id slice at 200k rows) instead of asking the GIN index (17 ms).
    """CREATE FUNCTION provnews_pairs(search_text text, title text, summary text, body text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE COST 100000 AS $$
    BEGIN
        RETURN array_to_tsvector(provnews_pair_array(search_text, '_')
                                 || provnews_pair_array(lower(concat_ws(' ', title, summary, body)), '__'));
    END $$""",
]
POSTGRES_INDEX = ("CREATE INDEX ix_articles_search_pairs ON articles"
                  " USING gin (provnews_pairs(search_text, title, summary, text))")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(SQLITE_TABLE)
        fill_pairs(bind)
    elif bind.dialect.name == "postgresql":
        for statement in POSTGRES_FUNCTIONS:
            op.execute(statement)
        op.execute(POSTGRES_INDEX)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS articles_pairs")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search_pairs")
        op.execute("DROP FUNCTION IF EXISTS provnews_pairs(text, text, text, text)")
        op.execute("DROP FUNCTION IF EXISTS provnews_pair_array(text, text)")
