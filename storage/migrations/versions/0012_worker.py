"""``worker`` on crawl_runs: the Celery worker (node name) whose job ran the crawl, so
``provnews runs`` shows where each crawl ran when crawls are spread over machines.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it without rebuilding the table.
    op.add_column("crawl_runs", sa.Column("worker", sa.String(255), nullable=True))


def downgrade() -> None:
    op.drop_column("crawl_runs", "worker")
