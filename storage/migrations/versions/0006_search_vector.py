"""PostgreSQL search reads a stored tsvector instead of parsing search_text per row.

0001 indexed the expression ``to_tsvector('simple', search_text)``. The GIN index
finds candidate rows, but a phrase query must recheck word positions, and
``ts_rank`` needs the vector too: both re-parsed search_text for every candidate
(phrase queries took 15 s at 100k rows, bench/storage.py). A generated column
parses it once, on write, and the GIN index moves onto that column.

SQLite is untouched: FTS5 already stores its own index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from storage.errors import StorageError

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Generated columns are PostgreSQL 12+.
MIN_POSTGRES = (12,)
UPGRADE = [
    "ALTER TABLE articles ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
    "DROP INDEX ix_articles_search_tsv",
]
# The 0001 index again, textually equal to what 0005's search.py queried.
DOWNGRADE = [
    "CREATE INDEX ix_articles_search_tsv ON articles USING gin (to_tsvector('simple'::regconfig, search_text))",
    "ALTER TABLE articles DROP COLUMN search_vector",  # drops ix_articles_search_vector with it
]


def _postgres() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    if bind.dialect.server_version_info < MIN_POSTGRES:
        raise StorageError(f"provnews needs PostgreSQL 12 or newer, found {bind.dialect.server_version_info}")
    return True


def upgrade() -> None:
    if _postgres():
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if _postgres():
        for statement in DOWNGRADE:
            op.execute(statement)
