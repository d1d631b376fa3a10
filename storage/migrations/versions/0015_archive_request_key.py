"""archive_records.request_key: the URL key of the article URL a record was fetched
for. A crawl killed between fetch and store leaves records no article points to; the
next crawl finds them by this key and extracts them instead of downloading the pages
again (crawler.archive.middleware).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("archive_records") as batch:
        batch.add_column(sa.Column("request_key", sa.String(40), nullable=True))
    op.create_index("ix_archive_records_request_key", "archive_records", ["request_key"])


def downgrade() -> None:
    op.drop_index("ix_archive_records_request_key", table_name="archive_records")
    with op.batch_alter_table("archive_records") as batch:
        batch.drop_column("request_key")
