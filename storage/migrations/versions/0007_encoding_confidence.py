"""articles.encoding_confidence: "low" for a page whose text is mojibake or typed in a
legacy Vietnamese font (TCVN3, VNI). Such rows are kept, but search and export leave
them out unless asked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it without rebuilding the table, which would drop
    # the FTS triggers on articles.
    op.add_column("articles", sa.Column("encoding_confidence", sa.String(10), nullable=True))


def downgrade() -> None:
    op.drop_column("articles", "encoding_confidence")
