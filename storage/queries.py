"""Read and write helpers. Each takes a Session; the caller owns the transaction.

None of these functions commits (the caller owns the transaction): the store pipeline commits once
per batch, the CLI once per command.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from crawler.core.record import ArticleRecord, Image, content_hash, encoding_confidence
from crawler.core.urls import make_url_key, url_key
from storage.models import Article, ArticleUrl, local_datetime
from storage.search import (
    VIETNAM,
    SearchHit,
    authors_key,
    day_end,
    day_start,
    filter_key,
    filters,
    matching_ids,
    search,
    search_text,
)
from storage.search_query import document_pairs

__all__ = [
    "ArticleWrite",
    "OutletStats",
    "OutletSummary",
    "SearchHit",
    "UpsertResult",
    "add_url",
    "count_articles",
    "count_latest",
    "find_by_content_hash",
    "get_article",
    "has_value",
    "iter_articles",
    "known_values",
    "latest_articles",
    "local_datetime",
    "make_url_key",
    "newest_id",
    "outlet_stats",
    "outlet_summary",
    "search",
    "to_record",
    "upsert_article",
    "upsert_articles",
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


def _offset_minutes(value: datetime | None, name: str) -> int | None:
    """The UTC offset to restore on read; a naive datetime is refused before any SQL runs."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(f"{name} {value.isoformat()} is a naive datetime: the record contract needs an offset")
    return int(offset.total_seconds() // 60)


class ArticleWrite(NamedTuple):
    """One article for ``upsert_articles``: the record, its natural key, and where it was seen."""

    record: ArticleRecord
    url_key: str
    seen_urls: Sequence[str] = ()
    province: str | None = None
    mirror: bool = False  # fetched from a mirror's recording, not from the outlet


# Rows per multi-row statement: 30 columns x 500 rows stays under SQLite's
# 32766 bound parameters and keeps PostgreSQL statements a sensible size.
INSERT_CHUNK = 500


def _row(record: ArticleRecord, url_key: str, now: datetime, province: str | None = None) -> dict[str, object]:
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
        "section_key": filter_key(record.section, 200) if record.section else None,
        "province": province or record.province,
        "province_key": filter_key(province or record.province or "", 100) or None,
        "authors_key": authors_key(list(record.authors)),
        "tags": list(record.tags),
        "image_url": record.image_url,
        "images": [asdict(image) for image in record.images],
        "language": record.language,
        "word_count": record.word_count,
        "content_hash": record.content_hash or content_hash(record.text or ""),
        "encoding": record.encoding,
        "encoding_confidence": encoding_confidence(record.notes),
        "search_text": search_text(record.title, record.summary, record.text),
        "fetched_at": record.fetched_at,
        "last_seen_at": now,
    }


PAIRS_BATCH = 2000
_PAIR_SOURCES = (Article.id, Article.search_text, Article.title, Article.summary, Article.text)


def fill_pairs(connection: Connection | Session, after: int = 0) -> None:
    """Index the word pairs (SQLite articles_pairs, migration 0014) of every article with
    an id above ``after``: the migration, and bench.build after a bulk load."""
    while True:
        rows = connection.execute(select(*_PAIR_SOURCES).where(Article.id > after).order_by(Article.id)
                                  .limit(PAIRS_BATCH)).all()
        if not rows:
            return
        index_pairs(connection, rows, delete=False)
        after = rows[-1][0]


def index_pairs(connection: Connection | Session, rows: Sequence[Any], *, delete: bool) -> None:
    """Add (or, with the values they were indexed with, remove) articles' pairs. The
    table is contentless, so a removal must name the very pairs that were added."""
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if not rows or bind.dialect.name != "sqlite":
        return  # PostgreSQL: an expression index keeps itself
    command = "INSERT INTO articles_pairs(articles_pairs, rowid, pairs) VALUES ('delete', :id, :pairs)" if delete \
        else "INSERT INTO articles_pairs(rowid, pairs) VALUES (:id, :pairs)"
    connection.execute(text(command), [{"id": r[0], "pairs": document_pairs(*r[1:])} for r in rows])


def dialect_insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which has on_conflict_do_update/do_nothing (shared by
    storage.crawlstate and storage.entrypoints)."""
    return sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert


def upsert_article(
    session: Session,
    record: ArticleRecord,
    url_key: str,
    seen_urls: list[str] | None = None,
    *,
    province: str | None = None,
    mirror: bool = False,
) -> UpsertResult:
    """Insert or refresh the article keyed by ``url_key`` and remember every URL it was seen at.

    Same content_hash as stored: only last_seen_at moves ("unchanged"). Under
    concurrent PostgreSQL writers two first-time upserts of one key both report
    "inserted"; the row itself is still written once. ``province`` (the outlet's)
    is kept when a later upsert passes None. ``mirror`` is written every time: an
    article a live fetch confirms, changed or not, is no longer a mirror's.
    """
    return upsert_articles(session, [ArticleWrite(record, url_key, seen_urls or (), province, mirror)])[0]


def upsert_articles(session: Session, items: Sequence[ArticleWrite]) -> list[UpsertResult]:
    """``upsert_article`` for a batch, in a handful of multi-row statements.

    Results come back in input order. A key given twice in one batch is written
    once, with its last record (one statement may not touch a row twice on
    PostgreSQL), and both positions get that article's result.
    """
    if not items:
        return []
    now = datetime.now(UTC)
    latest: dict[str, ArticleWrite] = {}
    for item in items:
        if item.record.fetched_at is not None:
            _offset_minutes(item.record.fetched_at, "fetched_at")
        latest[item.url_key] = item
    rows = {key: {**_row(item.record, key, now, item.province), "mirror": item.mirror}
            for key, item in latest.items()}
    stored: dict[str, tuple[int, str | None]] = {}
    keys = list(rows)
    for chunk in _chunks(keys, INSERT_CHUNK):
        stmt = select(Article.url_key, Article.id, Article.content_hash).where(Article.url_key.in_(chunk))
        stored.update({key: (id_, hash_) for key, id_, hash_ in session.execute(stmt)})

    results: dict[str, UpsertResult] = {}
    unchanged = [key for key in keys if key in stored and stored[key][1] == rows[key]["content_hash"]]
    for key in unchanged:
        results[key] = UpsertResult("unchanged", stored[key][0])
    for mirror in (False, True):
        ids = [results[k].id for k in unchanged if rows[k]["mirror"] is mirror]
        for chunk in _chunks(ids, INSERT_CHUNK):
            session.execute(update(Article).where(Article.id.in_(chunk)).values(last_seen_at=now, mirror=mirror))
    # Refreshed province when one is given; an upsert without one keeps the old value.
    for key in unchanged:
        if rows[key]["province"] is not None:
            session.execute(update(Article).where(Article.id == results[key].id).values(
                province=rows[key]["province"], province_key=rows[key]["province_key"]))

    to_write = [key for key in keys if key not in results]
    if to_write:
        # One cached statement, executemany: SQLAlchemy's "insertmanyvalues" turns
        # it into multi-row INSERT ... RETURNING batches without recompiling.
        stmt = _upsert_statement(session)
        params = [{**rows[key], "first_seen_at": now} for key in to_write]
        index_pairs(session, session.execute(select(*_PAIR_SOURCES).where(
            Article.id.in_([stored[key][0] for key in to_write if key in stored]))).all(), delete=True)
        for key, article_id in session.execute(stmt, params):
            results[key] = UpsertResult("updated" if key in stored else "inserted", article_id)
        index_pairs(session, [(results[key].id, rows[key]["search_text"], rows[key]["title"], rows[key]["summary"],
                          rows[key]["text"]) for key in to_write], delete=False)

    url_rows: list[tuple[int, list[str | None]]] = [
        (results[key].id, [item.record.url, item.record.canonical_url, *item.seen_urls])
        for key, item in latest.items()
    ]
    _add_urls_many(session, url_rows)
    return [results[item.url_key] for item in items]


_UPSERT_CACHE: dict[str, object] = {}


def _upsert_statement(session: Session):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERT_CACHE:
        table = Article.__table__
        stmt = dialect_insert(session)(table)
        updated = [c.name for c in table.c if c.name not in {"id", "url_key", "first_seen_at"}]
        set_ = {name: stmt.excluded[name] for name in updated}
        for name in ("province", "province_key"):
            set_[name] = func.coalesce(stmt.excluded[name], table.c[name])
        _UPSERT_CACHE[dialect] = stmt.on_conflict_do_update(index_elements=[table.c.url_key], set_=set_).returning(
            table.c.url_key, table.c.id)
    return _UPSERT_CACHE[dialect]


def _chunks(values: list, size: int):  # type: ignore[no-untyped-def]
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _add_urls(session: Session, article_id: int, urls: list[str | None]) -> None:
    _add_urls_many(session, [(article_id, urls)])


def _add_urls_many(session: Session, entries: list[tuple[int, list[str | None]]]) -> None:
    # Deduplicated by key first: one statement may not hit the same row twice
    # (PostgreSQL). Across articles the first listed owner wins, as it would
    # one statement at a time.
    by_key: dict[str, dict[str, object]] = {}
    for article_id, urls in entries:
        for url in urls:
            if url:
                by_key.setdefault(make_url_key(url), {"article_id": article_id, "url": url, "url_key": make_url_key(url)})
    if not by_key:
        return
    table = ArticleUrl.__table__
    # A URL already claimed by another article keeps its first owner.
    stmt = dialect_insert(session)(table).on_conflict_do_nothing(index_elements=[table.c.url_key])
    session.execute(stmt, list(by_key.values()))


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


def content_hash_owners(session: Session, pairs: Iterable[tuple[str | None, str]]) -> dict[tuple[str | None, str], int]:
    """``find_by_content_hash`` for many (outlet, content_hash) pairs in one query."""
    wanted = {(outlet, hash_) for outlet, hash_ in pairs if hash_}
    if not wanted:
        return {}
    stmt = (select(Article.outlet, Article.content_hash, func.min(Article.id))
            .where(Article.content_hash.in_({hash_ for _, hash_ in wanted}))
            .group_by(Article.outlet, Article.content_hash))
    return {(outlet, hash_): id_ for outlet, hash_, id_ in session.execute(stmt) if (outlet, hash_) in wanted}


def articles_for_keys(session: Session, keys: Iterable[str]) -> dict[str, tuple[int, str | None]]:
    """{url_key: (id, content_hash)} of the stored articles among ``keys``, in one query per chunk."""
    found: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks(list(set(keys)), INSERT_CHUNK):
        stmt = select(Article.url_key, Article.id, Article.content_hash).where(Article.url_key.in_(chunk))
        found.update({key: (id_, hash_) for key, id_, hash_ in session.execute(stmt)})
    return found


def add_urls(session: Session, entries: list[tuple[int, str]]) -> None:
    """``add_url`` for many (article id, url) pairs, in one statement."""
    _add_urls_many(session, [(article_id, [url]) for article_id, url in entries])


def article_id_for_key(session: Session, url_key: str) -> int | None:
    return session.execute(select(Article.id).where(Article.url_key == url_key)).scalar_one_or_none()


def to_record(article: Any) -> ArticleRecord:
    """The record of an ``Article`` or of a result row with the same columns."""
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
        province=article.province,
        gone_at=article.gone_at,
        encoding=article.encoding,
    )


def get_article(session: Session, id_or_url: int | str) -> ArticleRecord | None:
    """By numeric id, by its url_key, or by an URL: any URL the article was seen at, or
    one the crawl would take for it (tracking parameters, fragment, http/https, www.,
    m./amp. hosts and AMP paths make no difference: the store keys articles by
    ``url_key``'s identity form)."""
    if isinstance(id_or_url, int) or id_or_url.isdigit():
        article = session.get(Article, int(id_or_url))
    else:
        raw = make_url_key(id_or_url)
        seen = select(ArticleUrl.article_id).where(ArticleUrl.url_key == raw).scalar_subquery()
        keys = [raw, id_or_url]
        if id_or_url.lower().startswith(("http://", "https://")):
            keys.append(url_key(id_or_url))
        article = session.scalars(
            select(Article).where((Article.id == seen) | (Article.url_key.in_(keys))).limit(1)
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
    province: str | None = None,
    section: str | None = None,
    author: str | None = None,
    limit: int = 20,
    offset: int = 0,
    as_of: int | None = None,
    include_flagged: bool = False,
) -> list[int]:
    """Ids of the newest articles (undated last, then newest stored), for listings
    without a query; rows of low encoding confidence only with ``include_flagged``.
    ``as_of`` (an article id) leaves out articles stored after it, so the pages of one
    listing stay put while a crawl inserts."""
    stmt = (select(Article.id).where(*_listing_conditions(outlet, since, until, province, section, author,
                                                          as_of, include_flagged))
            .order_by(Article.published_at.desc().nulls_last(), Article.id.desc()).offset(offset).limit(limit))
    return list(session.scalars(stmt))


def count_latest(session: Session, cap: int, **kwargs: Any) -> int:
    """How many articles ``latest_articles`` lists with these filters, counted up to ``cap``."""
    conditions = _listing_conditions(kwargs.get("outlet"), kwargs.get("since"), kwargs.get("until"),
                                     kwargs.get("province"), kwargs.get("section"), kwargs.get("author"),
                                     kwargs.get("as_of"), kwargs.get("include_flagged", False))
    capped = select(Article.id).where(*conditions).limit(cap).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


def _listing_conditions(outlet: str | None, since: date | datetime | None, until: date | datetime | None,
                        province: str | None, section: str | None, author: str | None, as_of: int | None,
                        include_flagged: bool) -> list[Any]:
    conditions = filters(outlet=outlet, since=since, until=until, province=province, section=section, author=author)
    if not include_flagged:
        conditions.append(Article.encoding_confidence.is_(None))
    if as_of is not None:
        conditions.append(Article.id <= as_of)
    return conditions


def newest_id(session: Session) -> int:
    return session.scalar(select(func.max(Article.id))) or 0


def known_values(session: Session, column: str) -> list[str]:
    """The distinct stored values of ``outlet``, ``province`` or ``section`` (for
    naming the valid ones when a filter matches nothing known)."""
    field = getattr(Article, column)
    return sorted(v for v in session.scalars(select(field).where(field.is_not(None)).distinct()) if v)


def has_value(session: Session, column: str, value: str) -> bool:
    """Whether some stored article has this outlet (exact), or province/section (folded)."""
    condition = {"outlet": Article.outlet == value, "province": Article.province_key == filter_key(value, 100),
                 "section": Article.section_key == filter_key(value, 200)}[column]
    return session.scalar(select(Article.id).where(condition).limit(1)) is not None


def _vn(value: datetime | None) -> datetime | None:
    return value.astimezone(VIETNAM) if value else None


# Columns export reads: everything but the folded copies used for search and filters.
_EXPORT_COLUMNS = [c for c in Article.__table__.c if c.name not in {"search_text", "section_key", "authors_key",
                                                                  "province_key"}]


def iter_articles(
    session: Session,
    *,
    query: str | None = None,
    outlet: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    province: str | None = None,
    section: str | None = None,
    author: str | None = None,
    include_flagged: bool = False,
    batch_size: int = 1000,
) -> Iterator[ArticleRecord]:
    """Stream matching records in id order in constant memory.

    Rows arrive ``batch_size`` at a time (a server-side cursor on PostgreSQL,
    SQLite's own stepping cursor) as plain rows, not ORM objects, so nothing
    accumulates in the session. ``query`` keeps only full-text matches (no
    ranking: export order is id order); a query with no searchable word
    matches nothing. Rows of low encoding confidence only with ``include_flagged``.
    """
    stmt = select(*_EXPORT_COLUMNS).order_by(Article.id).execution_options(yield_per=batch_size)
    conditions = filters(outlet=outlet, since=since, until=until, province=province, section=section, author=author)
    if not include_flagged:
        conditions.append(Article.encoding_confidence.is_(None))
    if query is not None:
        ids = matching_ids(session, query)
        if ids is None:
            return
        conditions.append(Article.id.in_(ids))
    if conditions:
        stmt = stmt.where(*conditions)
    for row in session.execute(stmt):
        yield to_record(row)



class OutletStats(NamedTuple):
    outlet: str | None
    articles: int
    first_published: datetime | None  # in +07:00
    last_published: datetime | None
    last_fetched: datetime | None  # max(fetched_at): the last crawl that stored something, in +07:00
    daily: list[int]  # articles published per +07:00 day, oldest first, ending today


def _vn_day(session: Session):  # type: ignore[no-untyped-def]
    """SQL for the +07:00 calendar day of published_at, as 'YYYY-MM-DD' text."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(Article.published_at, "+7 hours")
    local = func.timezone("UTC", Article.published_at) + text("interval '7 hours'")
    return func.to_char(local, "YYYY-MM-DD")


def outlet_stats(session: Session, *, days: int = 30, today: date | None = None) -> list[OutletStats]:
    """Per outlet: counts, first/last publication, last fetch and a per-day histogram of ``days`` days."""
    totals = session.execute(
        select(Article.outlet, func.count(Article.id), func.min(Article.published_at),
               func.max(Article.published_at), func.max(Article.fetched_at))
        .group_by(Article.outlet).order_by(Article.outlet)
    ).all()
    histogram = daily_counts(session, days=days, today=today)
    return [
        OutletStats(outlet, count, _vn(first), _vn(last), _vn(fetched), histogram.get(outlet, [0] * days))
        for outlet, count, first, last, fetched in totals
    ]


def daily_counts(session: Session, *, days: int, today: date | None = None,
                 outlet: str | None = None) -> dict[str | None, list[int]]:
    """Articles published per +07:00 day over ``days`` days ending ``today``, per outlet
    (only the outlets that published in them). A range over the published_at index, so
    it costs the window's articles, not the table's."""
    today = today or datetime.now(VIETNAM).date()
    first_day = today - timedelta(days=days - 1)
    day = _vn_day(session).label("day")
    stmt = (select(Article.outlet, day, func.count(Article.id))
            .where(Article.published_at >= day_start(first_day), Article.published_at < day_end(today))
            .group_by(Article.outlet, day))
    if outlet is not None:
        stmt = stmt.where(Article.outlet == outlet)
    histogram: dict[str | None, list[int]] = {}
    for name, day_text, count in session.execute(stmt):
        index = (date.fromisoformat(str(day_text)[:10]) - first_day).days
        if 0 <= index < days:
            histogram.setdefault(name, [0] * days)[index] += count
    return histogram

