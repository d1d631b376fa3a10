"""Read and write helpers. Each takes a Session; the caller owns the transaction.

None of these functions commits (house rule 12): the store pipeline commits once
per batch, the CLI once per command.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Literal, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crawler.record import ArticleRecord, Image, content_hash
from storage.models import Article, ArticleUrl, local_datetime
from storage.search import VIETNAM, SearchHit, date_filters, search, search_text

__all__ = [
    "OutletSummary", "SearchHit", "UpsertResult", "add_url", "count_articles", "find_by_content_hash",
    "get_article", "iter_articles", "latest_articles", "local_datetime", "make_url_key", "outlet_summary",
    "search", "to_record", "upsert_article",
]

UpsertStatus = Literal["inserted", "updated", "unchanged"]


class UpsertResult(NamedTuple):
    status: UpsertStatus
    id: int


class OutletSummary(NamedTuple):
    outlet: str | None
    articles: int
    first_published: datetime | None  # in +07:00
    last_published: datetime | None


def make_url_key(url: str) -> str:
    """sha1 hex of a URL, exactly as given (normalise it first for the article key)."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


def _offset_minutes(value: datetime | None, name: str) -> int | None:
    """The UTC offset to restore on read; a naive datetime is refused before any SQL runs."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{name} {value.isoformat()} is a naive datetime: the record contract needs an offset")
    return int(offset.total_seconds() // 60)


def _row(record: ArticleRecord, url_key: str, now: datetime) -> dict[str, object]:
    """Column values for one record; first_seen_at is added on insert only."""
    return {
        "url_key": url_key,
        "outlet": record.outlet,
        "url": record.url,
        "canonical_url": record.canonical_url,
        "title": record.title,
        "summary": record.summary,
        "text": record.text or "",
        "authors": list(record.authors),
        "attribution": record.attribution,
        "published_at": record.published_at,
        "published_offset_minutes": _offset_minutes(record.published_at, "published_at"),
        "published_at_source": record.published_at_source,
        "updated_at": record.updated_at,
        "updated_offset_minutes": _offset_minutes(record.updated_at, "updated_at"),
        "section": record.section,
        "tags": list(record.tags),
        "image_url": record.image_url,
        "images": [asdict(image) for image in record.images],
        "language": record.language,
        "word_count": record.word_count,
        "content_hash": record.content_hash or content_hash(record.text or ""),
        "encoding": record.encoding,
        "search_text": search_text(record.title, record.summary, record.text),
        "fetched_at": record.fetched_at,
        "last_seen_at": now,
    }


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has on_conflict_do_update/do_nothing."""
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


def upsert_article(
    session: Session, record: ArticleRecord, url_key: str, seen_urls: list[str] | None = None
) -> UpsertResult:
    """Insert or refresh the article keyed by ``url_key`` and remember every URL it was seen at.

    Same content_hash as stored: only last_seen_at moves ("unchanged"). Under
    concurrent PostgreSQL writers two first-time upserts of one key both report
    "inserted"; the row itself is still written once.
    """
    now = datetime.now(UTC)
    if record.fetched_at is not None:
        _offset_minutes(record.fetched_at, "fetched_at")
    row = _row(record, url_key, now)
    stored = session.execute(
        select(Article.id, Article.content_hash).where(Article.url_key == url_key)
    ).one_or_none()
    if stored is not None and stored.content_hash == row["content_hash"]:
        session.execute(update(Article).where(Article.id == stored.id).values(last_seen_at=now))
        article_id, status = stored.id, "unchanged"
    else:
        stmt = _insert(session)(Article).values(**row, first_seen_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Article.url_key],
            set_={name: stmt.excluded[name] for name in row if name != "url_key"},
        )
        article_id = session.execute(stmt.returning(Article.id)).scalar_one()
        status = "inserted" if stored is None else "updated"
    _add_urls(session, article_id, [record.url, record.canonical_url, *(seen_urls or [])])
    return UpsertResult(status, article_id)  # type: ignore[arg-type]


def _add_urls(session: Session, article_id: int, urls: list[str | None]) -> None:
    # Deduplicated by key first: one statement may not hit the same row twice (PostgreSQL).
    by_key = {make_url_key(url): url for url in urls if url}
    if not by_key:
        return
    values = [{"article_id": article_id, "url": url, "url_key": key} for key, url in by_key.items()]
    # A URL already claimed by another article keeps its first owner.
    stmt = _insert(session)(ArticleUrl).values(values).on_conflict_do_nothing(index_elements=[ArticleUrl.url_key])
    session.execute(stmt)


def add_url(session: Session, article_id: int, url: str) -> None:
    """Record one more URL for an existing article (e.g. an exact duplicate's URL)."""
    _add_urls(session, article_id, [url])


def find_by_content_hash(session: Session, outlet: str | None, content_hash: str | None) -> int | None:
    """The oldest article of ``outlet`` with exactly this text, for exact-duplicate detection."""
    if not content_hash:
        return None  # "= NULL" would otherwise match every unhashed article
    stmt = (
        select(Article.id)
        .where(Article.outlet == outlet, Article.content_hash == content_hash)
        .order_by(Article.id)
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def article_id_for_key(session: Session, url_key: str) -> int | None:
    return session.execute(select(Article.id).where(Article.url_key == url_key)).scalar_one_or_none()


def to_record(article: Article) -> ArticleRecord:
    return ArticleRecord(
        id=article.id,
        outlet=article.outlet,
        url=article.url,
        canonical_url=article.canonical_url,
        title=article.title,
        summary=article.summary,
        text=article.text,
        authors=list(article.authors or []),
        attribution=article.attribution,
        published_at=local_datetime(article.published_at, article.published_offset_minutes),
        published_at_source=article.published_at_source,
        updated_at=local_datetime(article.updated_at, article.updated_offset_minutes),
        section=article.section,
        tags=list(article.tags or []),
        image_url=article.image_url,
        images=[Image(**image) for image in article.images or []],
        language=article.language,
        word_count=article.word_count,
        content_hash=article.content_hash,
        fetched_at=article.fetched_at,
        encoding=article.encoding,
    )


def get_article(session: Session, id_or_url: int | str) -> ArticleRecord | None:
    """By numeric id, by any URL the article was seen at, or by its url_key."""
    if isinstance(id_or_url, int) or id_or_url.isdigit():
        article = session.get(Article, int(id_or_url))
    else:
        key = make_url_key(id_or_url)
        seen = select(ArticleUrl.article_id).where(ArticleUrl.url_key == key).scalar_subquery()
        article = session.scalars(
            select(Article).where((Article.id == seen) | (Article.url_key.in_([key, id_or_url]))).limit(1)
        ).first()
    return to_record(article) if article else None


def count_articles(session: Session, outlet: str | None = None) -> int:
    stmt = select(func.count(Article.id))
    if outlet:
        stmt = stmt.where(Article.outlet == outlet)
    return session.execute(stmt).scalar_one()


def outlet_summary(session: Session) -> list[OutletSummary]:
    """Per outlet: article count and the first and last publication time (in +07:00)."""
    stmt = (
        select(Article.outlet, func.count(Article.id), func.min(Article.published_at), func.max(Article.published_at))
        .group_by(Article.outlet)
        .order_by(Article.outlet)
    )
    return [
        OutletSummary(outlet, count, _vn(first), _vn(last))
        for outlet, count, first, last in session.execute(stmt)
    ]


def latest_articles(
    session: Session,
    *,
    outlet: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    limit: int = 20,
) -> list[int]:
    """Ids of the newest articles (undated last), for listings without a query."""
    stmt = select(Article.id).order_by(Article.published_at.desc().nulls_last(), Article.id.desc()).limit(limit)
    conditions = date_filters(outlet, since, until)
    if conditions:
        stmt = stmt.where(*conditions)
    return list(session.scalars(stmt))


def _vn(value: datetime | None) -> datetime | None:
    return value.astimezone(VIETNAM) if value else None


def iter_articles(
    session: Session,
    *,
    outlet: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    batch_size: int = 500,
) -> Iterator[ArticleRecord]:
    """Stream records in id order without loading the table (server-side cursor on PostgreSQL)."""
    stmt = select(Article).order_by(Article.id).execution_options(yield_per=batch_size)
    conditions = date_filters(outlet, since, until)
    if conditions:
        stmt = stmt.where(*conditions)
    for article in session.scalars(stmt):
        yield to_record(article)
