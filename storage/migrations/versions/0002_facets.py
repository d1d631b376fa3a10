"""Search facets: province, and folded keys for province, section and authors.

``province`` is the outlet's province as the registry spells it (the store
pipeline passes it; older rows stay NULL). The ``*_key`` columns hold
``search.fold()`` of the value so that ``--province "lang son"``, ``--section
"thoi su"`` and ``--author "minh anh"`` match whatever diacritics and case the
site used. ``authors_key`` is ``|a|b|``: every folded author between bars.

Existing rows get their section and author keys here (folded in Python, in
batches), so upgrading a filled database loses nothing and filters at once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-08-26
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
COLUMNS = [
    ("province", sa.Text()),
    ("province_key", sa.String(100)),
    ("section_key", sa.String(200)),
    ("authors_key", sa.Text()),
]
INDEXED = ["province_key", "section_key"]


def _fold(text: str) -> str:
    # A frozen copy of storage.search.fold as of this revision: a migration must
    # not change meaning when the application code moves on.
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("đ", "d").replace("Đ", "d")
    return " ".join(stripped.casefold().split())


def _authors_key(authors: object) -> str | None:
    if isinstance(authors, str):
        authors = json.loads(authors)
    names = [_fold(a) for a in authors or [] if isinstance(a, str) and a.strip()]
    return "|" + "|".join(names) + "|" if names else None


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("articles", sa.Column(name, type_, nullable=True))
    for name in INDEXED:
        op.create_index(op.f(f"ix_articles_{name}"), "articles", [name])
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    articles = sa.table(
        "articles", sa.column("id", sa.Integer), sa.column("section", sa.Text), sa.column("authors", sa.JSON),
        sa.column("section_key", sa.String), sa.column("authors_key", sa.Text),
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(articles.c.id, articles.c.section, articles.c.authors)
            .where(articles.c.id > last_id).order_by(articles.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        updates = [
            {"row_id": row.id, "s": _fold(row.section) if row.section else None, "a": _authors_key(row.authors)}
            for row in rows
        ]
        bind.execute(
            sa.update(articles).where(articles.c.id == sa.bindparam("row_id"))
            .values(section_key=sa.bindparam("s"), authors_key=sa.bindparam("a")),
            updates,
        )
        last_id = rows[-1].id


def downgrade() -> None:
    for name in INDEXED:
        op.drop_index(op.f(f"ix_articles_{name}"), table_name="articles")
    for name, _ in reversed(COLUMNS):
        # Native DROP COLUMN (SQLite >= 3.35): a batch copy would drop the FTS triggers.
        op.drop_column("articles", name)
