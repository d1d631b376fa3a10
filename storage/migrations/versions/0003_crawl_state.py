"""Crawl state and article history: frontier, run ledger, fetch log, versions, stories.

- ``frontier``: every article URL with its lease (storage.crawlstate); filled here
  with the articles already stored, as ``done``, so an upgraded database is not
  crawled again from scratch.
- ``crawl_runs`` / ``fetch_log``: the ledger.
- ``article_versions``: each stored text; version 1 is written here for every
  existing article, so history starts with what the database already holds.
- ``signatures`` / ``signature_bands``: MinHash and LSH bands (crawler.core.similarity).
- ``articles.url_key`` is recomputed with the identity form of crawler.core.urls
  (http/https, www./m./AMP variants fold together); rows that turn out to be one
  article are merged into the oldest, keeping every URL in ``article_urls``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from crawler.core.urls import url_key

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_tables()
    _rekey_articles()
    _backfill()


def _create_tables() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outlet", sa.String(100), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in (
            "requests", "discovered", "fetched", "new", "updated", "duplicates", "dropped", "blocked")),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
    )
    op.create_index("ix_crawl_runs_outlet", "crawl_runs", ["outlet"])
    op.create_index("ix_crawl_runs_status", "crawl_runs", ["status"])
    op.create_table(
        "fetch_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id", ondelete="CASCADE",
                  name="fk_fetch_log_run_id_crawl_runs"), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("bytes", sa.Integer(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("fetched_at", UTC_DATETIME, nullable=False),
    )
    op.create_index("ix_fetch_log_run_id", "fetch_log", ["run_id"])
    op.create_table(
        "frontier",
        sa.Column("url_key", sa.String(40), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outlet", sa.String(100), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("lease_run", sa.Integer(), nullable=True),
        sa.Column("lease_until", UTC_DATETIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_fetch_at", UTC_DATETIME, nullable=True),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(64), nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
    )
    op.create_index("ix_frontier_outlet", "frontier", ["outlet"])
    op.create_index("ix_frontier_state", "frontier", ["state"])
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id", ondelete="CASCADE",
                  name="fk_article_versions_article_id_articles"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("fetched_at", UTC_DATETIME, nullable=True),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.UniqueConstraint("article_id", "version", name="uq_article_versions_article_id"),
    )
    op.create_index("ix_article_versions_article_id", "article_versions", ["article_id"])
    op.create_table(
        "signatures",
        sa.Column("article_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_signatures_story_id", "signatures", ["story_id"])
    op.create_table(
        "signature_bands",
        sa.Column("band", sa.SmallInteger(), primary_key=True),
        sa.Column("hash", sa.BigInteger(), primary_key=True),
        sa.Column("article_id", sa.Integer(), primary_key=True),
    )
    op.create_index("ix_signature_bands_article_id", "signature_bands", ["article_id"])


def _rekey_articles() -> None:
    """New url_key per article; duplicates under the new key merge into the oldest row."""
    bind = op.get_bind()
    articles = sa.table("articles", sa.column("id"), sa.column("url"), sa.column("canonical_url"),
                        sa.column("url_key"))
    urls = sa.table("article_urls", sa.column("article_id"))
    rows = bind.execute(sa.select(articles.c.id, articles.c.url, articles.c.canonical_url)
                        .order_by(articles.c.id)).all()
    keeper: dict[str, int] = {}
    for article_id, url, canonical in rows:
        key = url_key(canonical or url)
        if key in keeper:
            bind.execute(sa.update(urls).where(urls.c.article_id == article_id)
                         .values(article_id=keeper[key]))
            bind.execute(sa.delete(articles).where(articles.c.id == article_id))
            continue
        keeper[key] = article_id
        # A temporary prefix first: two rows may swap keys, and url_key is unique.
        bind.execute(sa.update(articles).where(articles.c.id == article_id).values(url_key="~" + key[:39]))
    for key, article_id in keeper.items():
        bind.execute(sa.update(articles).where(articles.c.id == article_id).values(url_key=key))


def _backfill() -> None:
    bind = op.get_bind()
    stamp = datetime.now(UTC)
    bind.execute(sa.text(
        "INSERT INTO frontier (url_key, url, outlet, state, attempts, updated_at) "
        "SELECT url_key, url, outlet, 'done', 0, :stamp FROM articles"), {"stamp": stamp})
    bind.execute(sa.text(
        "INSERT INTO article_versions (article_id, version, title, text, content_hash, fetched_at, diff) "
        "SELECT id, 1, title, text, COALESCE(content_hash, ''), fetched_at, '' FROM articles"))


def downgrade() -> None:
    # Keys computed by 0003 stay: they are valid keys, only more folded than 0002's.
    for table in ("signature_bands", "signatures", "article_versions", "frontier", "fetch_log", "crawl_runs"):
        op.drop_table(table)
