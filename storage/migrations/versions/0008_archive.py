"""The raw archive: one row per WARC record kept (``archive_records``), and pointers to
it from each article and each version (``archive_id``), with the extractor version
that read the page; versions say whether a fetch or a re-extraction made them
(``origin``).

The pointers carry no foreign key: a plain ADD COLUMN keeps SQLite from rebuilding
``articles`` (which would drop its FTS triggers), and SQLite cannot drop a column
that a foreign key names. ``provnews archive verify`` checks every pointer instead.

Revision ID: 0008_archive
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_archive"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "archive_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_archive_records_file", "archive_records", ["file"])
    for table in ("articles", "article_versions"):
        op.add_column(table, sa.Column("archive_id", sa.Integer(), nullable=True))
        op.add_column(table, sa.Column("extractor_version", sa.String(40), nullable=True))
        op.create_index(f"ix_{table}_archive_id", table, ["archive_id"])
    op.add_column("article_versions", sa.Column("origin", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("article_versions", "origin")
    for table in ("article_versions", "articles"):
        # SQLite drops no indexed column: the index goes first.
        op.drop_index(f"ix_{table}_archive_id", table_name=table)
        op.drop_column(table, "extractor_version")
        op.drop_column(table, "archive_id")
    op.drop_index("ix_archive_records_file", table_name="archive_records")
    op.drop_table("archive_records")
