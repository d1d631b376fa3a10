"""Entry points, host policies and gone articles. Entry points and host policies: the validators (ETag, Last-Modified, body hash) of
each feed, sitemap and listing page, so a recrawl asks for them conditionally, and
per host whether its validators can be trusted. ``articles.gone_at`` marks an article
the outlet no longer serves, keeping its content.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite supports it without rebuilding the table, which would
    # drop the FTS triggers on articles.
    op.add_column("articles", sa.Column("gone_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "entry_points",
        sa.Column("url_key", sa.String(40), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(100), nullable=False),
        sa.Column("route", sa.String(20), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(64), nullable=True),
        # Null until fetched: a sitemap index names its children before they are fetched.
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        # The entry point that named this one (a sitemap index, a listing advertising a
        # feed): what a recrawl asks for when the parent answers 304.
        sa.Column("parent_key", sa.String(40), nullable=True),
    )
    op.create_index("ix_entry_points_outlet", "entry_points", ["outlet"])
    op.create_table(
        "host_policies",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("conditional", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("host_policies")
    op.drop_table("entry_points")
    op.drop_column("articles", "gone_at")
