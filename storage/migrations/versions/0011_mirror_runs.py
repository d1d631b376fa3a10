"""``mirror`` on crawl_runs and entry_points, as 0009 put it on articles, frontier and
listing_walks: a crawl of a mirror (``--mirror``, ``provnews demo``) is no evidence about
the real outlet. Route choice and the adaptive cadence learn only from runs of the same
kind, and a crawl loads only the entry-point validators a crawl of its kind stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("crawl_runs", "entry_points")


def upgrade() -> None:
    # Plain ADD COLUMNs, as in 0009: SQLite adds them without rebuilding the tables.
    # Rows from before are taken as live: 0009 could not tell a mirror run apart either.
    for table in TABLES:
        op.add_column(table, sa.Column("mirror", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "mirror")
