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

from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, String, Text
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
    tags: Mapped[list[str]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(Text)
    # [{"url": ..., "caption": ...}], the JSON form of record.Image.
    images: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(20))
    word_count: Mapped[int] = mapped_column(default=0)
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    encoding: Mapped[str | None] = mapped_column(String(40))
    # search.fold() of title + summary + text; the full-text index reads this.
    search_text: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    urls: Mapped[list[ArticleUrl]] = relationship(back_populates="article", cascade="all, delete-orphan")


class ArticleUrl(Base):
    """Every URL under which an article was seen (final, canonical, redirects, AMP...)."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(40), unique=True)

    article: Mapped[Article] = relationship(back_populates="urls")
