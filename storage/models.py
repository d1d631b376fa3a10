"""SQLAlchemy 2 models for stored articles.

Datetimes: every datetime column is stored in UTC (``UTCDateTime``) so that range
filters and ordering compare instants, never wall-clock strings. The offset the
outlet published in (+07:00 for Vietnamese sites) lives beside it in
``published_offset_minutes`` / ``updated_offset_minutes``; ``queries.get_article``
rebuilds the aware datetime in that offset, so output shows ``+07:00`` again.

The schema itself is owned by Alembic (``storage/migrations``); ``Base.metadata``
must match the latest migration (a test compares them).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetime in, aware UTC datetime out, on every backend.

    SQLite has no timezone type: without this, an aware value is written without
    its offset and read back naive, silently shifting +07:00 times by 7 hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored: the offset is unknown")
        utc = value.astimezone(UTC)
        # SQLite stores the wall-clock text only, so hand it naive UTC.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def local_datetime(value: datetime | None, offset_minutes: int | None) -> datetime | None:
    """A stored UTC instant shown again in the offset it was published with."""
    if value is None:
        return None
    if offset_minutes is None:
        return value
    return value.astimezone(timezone(timedelta(minutes=offset_minutes)))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[dict[str, Any]]: JSON(),
    }


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    # sha1 hex of the normalised canonical URL: the natural key. Hashing keeps the
    # unique index small and below PostgreSQL's btree row limit for long URLs.
    url_key: Mapped[str] = mapped_column(String(40), unique=True)
    outlet: Mapped[str | None] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(default=list)
    attribution: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    published_offset_minutes: Mapped[int | None]
    published_at_source: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime | None]
    updated_offset_minutes: Mapped[int | None]
    section: Mapped[str | None] = mapped_column(Text)
    # The outlet's province (registry spelling) and fold()ed filter keys
    # (migration 0002): ``--province/--section/--author`` ignore diacritics and case.
    province: Mapped[str | None] = mapped_column(Text)
    province_key: Mapped[str | None] = mapped_column(String(100), index=True)
    section_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # "|a|b|": each author folded, between bars, for whole-name or part-name match.
    authors_key: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(Text)
    # [{"url": ..., "caption": ...}], the JSON form of record.Image.
    images: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(20))
    word_count: Mapped[int] = mapped_column(default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    encoding: Mapped[str | None] = mapped_column(String(40))
    # "low": mojibake or a legacy-font page (migration 0007); left out of search and
    # export unless asked for.
    encoding_confidence: Mapped[str | None] = mapped_column(String(10))
    # Stored from a mirror's recording, not fetched from the outlet (migration 0008).
    mirror: Mapped[bool] = mapped_column(default=False, server_default=false())
    # search.fold() of title + summary + text; the full-text index reads this.
    search_text: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # Set when the outlet stopped serving the article (404/410, or a redirect to its
    # home page); the stored content is kept (migration 0005).
    gone_at: Mapped[datetime | None]
    # The raw page these fields were read from (migration 0008; no foreign key, see
    # there) and the extractor that read it (crawler.archive.extractor).
    archive_id: Mapped[int | None] = mapped_column(index=True)
    extractor_version: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        # The few flagged rows, so search leaves them out without reading every candidate
        # row (migration 0010).
        Index("ix_articles_flagged", "id", sqlite_where=sql_text("encoding_confidence IS NOT NULL"),
              postgresql_where=sql_text("encoding_confidence IS NOT NULL")),
        # Per-day counts per outlet over a window (storage.queries.daily_counts) read only
        # this index (migration 0013).
        Index("ix_articles_published_at_outlet", "published_at", "outlet"),
    )

    urls: Mapped[list[ArticleUrl]] = relationship(back_populates="article", cascade="all, delete-orphan")


class ArticleUrl(Base):
    """Every URL under which an article was seen (final, canonical, redirects, AMP...)."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(40), unique=True)

    article: Mapped[Article] = relationship(back_populates="urls")


class ArticleVersion(Base):
    """One stored text of an article: version 1 at first sight, one more per revision."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime | None]
    # Word-level unified diff against the previous version ("" for version 1).
    diff: Mapped[str] = mapped_column(Text, default="")
    archive_id: Mapped[int | None] = mapped_column(index=True)
    extractor_version: Mapped[str | None] = mapped_column(String(40))
    # "fetch": the outlet's page changed; "reextract": a new extractor read the same
    # page differently; "import": from another crawler's WARC. None: before 0008.
    origin: Mapped[str | None] = mapped_column(String(20))


class ArchiveRecord(Base):
    """One WARC record of the raw archive: where it is and what it holds (migration 0008)."""

    __tablename__ = "archive_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A file name inside the archive directory (PROVNEWS_ARCHIVE_DIR), so the directory can move.
    file: Mapped[str] = mapped_column(Text, index=True)
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(80))  # WARC-Payload-Digest, "sha1:<base32>"
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int]
    fetched_at: Mapped[datetime]
    # url_key of the article URL asked for (migration 0014): a crawl reuses a record
    # a killed crawl fetched and never stored. None: written before 0014, or imported.
    request_key: Mapped[str | None] = mapped_column(String(40), index=True)


class Signature(Base):
    """MinHash of an article's text and the story it belongs to (crawler.core.similarity).

    No foreign key to ``articles``: the similarity index is usable (and benchmarked)
    on its own, and the product never deletes articles; a deleting caller must
    call ``similarity.forget`` first.
    """

    __tablename__ = "signatures"

    article_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # The id of the article that founded the story.
    story_id: Mapped[int] = mapped_column(index=True)
    shingles: Mapped[int]
    minhash: Mapped[bytes] = mapped_column(LargeBinary)


class SignatureBand(Base):
    """LSH band hashes: one probe of (band, hash) finds the candidate copies."""

    __tablename__ = "signature_bands"

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(primary_key=True, index=True)


class CrawlRun(Base):
    """The ledger: one row per crawl of one outlet (or one ``scrape``)."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # manual | schedule | demo | scrape
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | ok | failed | timed_out | killed
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    # The Celery worker (its node name, e.g. celery@host-a) whose job ran this crawl; None outside workers.
    worker: Mapped[str | None] = mapped_column(String(255))
    requests: Mapped[int] = mapped_column(default=0)
    discovered: Mapped[int] = mapped_column(default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    dropped: Mapped[int] = mapped_column(default=0)
    blocked: Mapped[int] = mapped_column(default=0)
    errors: Mapped[dict[str, Any]] = mapped_column(default=dict)   # {reason: count}
    # {route: {"urls": n, "new": n, "fresh": n, "unique": n, "unchanged": n, "rank": n, "state": s}}:
    # what each route yielded, and its place in the plan of crawler.discovery.routing
    routes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The cadence the scheduler chose after this run (adaptive), in minutes.
    interval_minutes: Mapped[int | None]
    # A crawl of a mirror (migration 0011): no evidence about the real outlet.
    mirror: Mapped[bool] = mapped_column(default=False, server_default=false())


class FetchLog(Base):
    """Every fetch of a run: what came back, or why nothing did."""

    __tablename__ = "fetch_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(100))  # a reason code; None when fine
    bytes: Mapped[int | None]
    elapsed_ms: Mapped[int | None]
    fetched_at: Mapped[datetime]


class FrontierUrl(Base):
    """An article URL to fetch, leased to one run at a time (storage.crawlstate)."""

    __tablename__ = "frontier"

    url_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str | None] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)  # pending | leased | done | failed | gone
    lease_run: Mapped[int | None]
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_fetch_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(100))
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    mirror: Mapped[bool] = mapped_column(default=False, server_default=false())  # written by a mirror crawl


class ListingWalk(Base):
    """The last walk of a listing's pages: a walk killed half-way is not complete, so
    the next run walks to the end instead of stopping at a page it already knows."""

    __tablename__ = "listing_walks"

    url_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    mirror: Mapped[bool] = mapped_column(default=False, server_default=false())  # walked on a mirror


class EntryPoint(Base):
    """A feed, sitemap or listing page with the validators of its last fetch, so the
    next crawl asks for it with ``If-None-Match`` / ``If-Modified-Since``."""

    __tablename__ = "entry_points"

    url_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(100), index=True)
    route: Mapped[str] = mapped_column(String(20))  # feed | sitemap | listing
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # The last full (200) fetch; None while only named by a parent. The validator
    # audit counts from it.
    fetched_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]
    # The entry point that named this one (a sitemap index, a listing advertising a
    # feed): when the parent answers 304, its children are asked for instead.
    parent_key: Mapped[str | None] = mapped_column(String(40))
    mirror: Mapped[bool] = mapped_column(default=False, server_default=false())  # fetched from a mirror


class HostPolicy(Base):
    """What a host has earned: ``conditional`` is turned off for a host whose
    validators lie (a 304-worthy ETag or Last-Modified on a body whose hash changed)."""

    __tablename__ = "host_policies"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    conditional: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
