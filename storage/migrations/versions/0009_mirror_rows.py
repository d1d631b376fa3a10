"""``mirror`` on articles, frontier and listing_walks: true for rows a crawl wrote while
fetching from a mirror (``--mirror``, ``provnews demo``), whose pages are recordings,
some reconstructed, filed under the real outlets' URLs. A live crawl takes none of them
for fetched (storage.crawlstate.forget_mirror_rows).

Revision ID: 0009
Revises: 0008_archive
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008_archive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("articles", "frontier", "listing_walks")


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite adds them without rebuilding the tables, which would
    # drop the FTS triggers on articles.
    for table in TABLES:
        op.add_column(table, sa.Column("mirror", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "mirror")
