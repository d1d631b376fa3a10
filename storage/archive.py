"""Pointers into the raw archive: which WARC record each article and version was read
from, and the re-extraction of an article from it. Helpers take a Session and never
commit; the caller commits a pointer only after the record it names is on disk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from crawler.core.archive import ArchiveRef
from crawler.core.record import ArticleRecord
from storage.history import add_version
from storage.models import ArchiveRecord, Article, ArticleVersion
from storage.queries import _row, index_pairs
from storage.search import filters
from storage.signatures import assign_story

# The columns an extractor decides; url_key, url, the first and last sighting and the
# province are the crawl's, and a re-extraction leaves them.
EXTRACTED_COLUMNS = (
    "canonical_url", "title", "summary", "text", "authors", "attribution", "published_at",
    "published_offset_minutes", "published_at_source", "updated_at", "updated_offset_minutes",
    "section", "section_key", "authors_key", "tags", "image_url", "images", "language",
    "word_count", "content_hash", "encoding", "encoding_confidence", "search_text",
)


class Pointer(NamedTuple):
    """An article's archived page, and what a re-extraction needs besides it."""

    article_id: int
    outlet: str | None
    archive_id: int
    file: str
    offset: int
    length: int
    published_at: datetime | None
    published_at_source: str | None


def add_record(session: Session, ref: ArchiveRef, request_key: str | None = None) -> int:
    """Remember one written WARC record (fetched for the article URL of ``request_key``);
    its id. A record that has a row already (``ref.row_id``) keeps it."""
    return add_records(session, [(ref, request_key)])[0]


def add_records(session: Session, records: Sequence[tuple[ArchiveRef, str | None]]) -> list[int]:
    """``add_record`` for many (record, request key) pairs: the new rows in one
    statement; the ids in input order."""
    fresh = [(ref, key) for ref, key in records if ref.row_id is None]
    ids: list[int] = []
    if fresh:
        stmt = insert(ArchiveRecord).returning(ArchiveRecord.id, sort_by_parameter_order=True)
        params = [{"file": ref.file, "offset": ref.offset, "length": ref.length, "record_id": ref.record_id,
                   "digest": ref.digest, "url": ref.url, "status": ref.status, "fetched_at": ref.fetched_at,
                   "request_key": key} for ref, key in fresh]
        ids = list(session.scalars(stmt, params))
    new = iter(ids)
    return [ref.row_id if ref.row_id is not None else next(new) for ref, _ in records]


def point_many(session: Session, pointers: Sequence[tuple[int, int | None, str | None]]) -> None:
    """``point`` for many (article id, archive id, extractor version), in one statement."""
    if not pointers:
        return
    table = Article.__table__
    stmt = (update(table).where(table.c.id == bindparam("b_id"))
            .values(archive_id=func.coalesce(bindparam("b_archive"), table.c.archive_id),
                    extractor_version=bindparam("b_version")))
    session.execute(stmt, [{"b_id": id_, "b_archive": archive, "b_version": version}
                           for id_, archive, version in pointers])


def adopt_records(session: Session, records: Sequence[tuple[ArchiveRef, str]]) -> int:
    """Rows for the (record, request key) pairs of a killed crawl's files that have
    none yet (those it stored have theirs); how many were added."""
    files = {ref.file for ref, _ in records}
    known = set(session.execute(select(ArchiveRecord.file, ArchiveRecord.offset)
                                .where(ArchiveRecord.file.in_(files))).tuples())
    fresh = [(ref, key) for ref, key in records if (ref.file, ref.offset) not in known]
    add_records(session, fresh)
    return len(fresh)


def reusable(session: Session, keys: Sequence[str], fetched_since: datetime) -> dict[str, ArchiveRef]:
    """{request key: the newest record fetched for it since ``fetched_since`` that no
    article points to}: pages fetched by a crawl that died before storing them."""
    if not keys:
        return {}
    stmt = (select(ArchiveRecord).where(
        ArchiveRecord.request_key.in_(list(keys)), ArchiveRecord.status == 200,
        ArchiveRecord.fetched_at >= fetched_since,
        ~select(Article.id).where(Article.archive_id == ArchiveRecord.id).exists())
        .order_by(ArchiveRecord.id))
    found = {}
    for row in session.scalars(stmt):
        found[row.request_key] = ArchiveRef(row.file, row.offset, row.length, row.record_id, row.digest, row.url,
                                            _aware(row.fetched_at), row.status, row_id=row.id)
    return found


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; ours are all UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def point(session: Session, article_id: int, archive_id: int | None, extractor_version: str | None) -> None:
    """The article's fields now come from this archived page and extractor (a None
    archive_id, from a crawl with the archive off, keeps the last pointer)."""
    point_many(session, [(article_id, archive_id, extractor_version)])


def point_version(session: Session, article_id: int, archive_id: int | None, extractor_version: str | None) -> None:
    """The article's newest version was read from this page, by this extractor."""
    newest = select(func.max(ArticleVersion.id)).where(ArticleVersion.article_id == article_id).scalar_subquery()
    session.execute(update(ArticleVersion).where(ArticleVersion.id == newest)
                    .values(archive_id=archive_id, extractor_version=extractor_version))


def pointers(session: Session, ids: Sequence[int]) -> list[Pointer]:
    """The archived page of each of these articles that has one, in id order."""
    stmt = (select(Article.id, Article.outlet, ArchiveRecord.id, ArchiveRecord.file, ArchiveRecord.offset,
                   ArchiveRecord.length, Article.published_at, Article.published_at_source)
            .join(ArchiveRecord, ArchiveRecord.id == Article.archive_id)
            .where(Article.id.in_(ids)).order_by(Article.id))
    return [Pointer(*row) for row in session.execute(stmt)]


def archived_article_ids(session: Session, *, outlet: str | None = None, since: date | None = None,
                         until: date | None = None, ids: Sequence[int] | None = None,
                         not_version: str | None = None) -> list[int]:
    """Ids of archived articles matching the filters, in id order; with ``not_version``
    only those another extractor (or none) produced: what is left to re-extract."""
    stmt = select(Article.id).where(Article.archive_id.is_not(None), *filters(outlet=outlet, since=since, until=until))
    if ids:
        stmt = stmt.where(Article.id.in_(list(ids)))
    if not_version is not None:
        stmt = stmt.where(or_(Article.extractor_version.is_(None), Article.extractor_version != not_version))
    return list(session.scalars(stmt.order_by(Article.id)))


def _pair_source(article: Article) -> tuple[int, str, str | None, str | None, str]:
    return article.id, article.search_text, article.title, article.summary, article.text


def apply_reextraction(session: Session, article_id: int, record: ArticleRecord, extractor_version: str,
                       story_threshold: float) -> list[str]:
    """Write only the extracted columns that differ, stamp the extractor version, and, when
    the text changed, make a version marked ``reextract`` and place the article in its
    story again, as a re-fetch would; the names of changed columns."""
    article = session.get(Article, article_id)
    if article is None:
        raise LookupError(f"article {article_id} is gone")
    wanted = _row(record, article.url_key, datetime.now(UTC), article.province)
    changed = [name for name in EXTRACTED_COLUMNS if getattr(article, name) != wanted[name]]
    texts = {"search_text", "title", "summary", "text"} & set(changed)
    if texts:
        index_pairs(session, [_pair_source(article)], delete=True)
    for name in changed:
        setattr(article, name, wanted[name])
    if texts:
        index_pairs(session, [_pair_source(article)], delete=False)
    article.extractor_version = extractor_version
    if "content_hash" in changed:
        add_version(session, article.id, article.title, article.text, article.content_hash or "",
                    article.fetched_at, origin="reextract", archive_id=article.archive_id,
                    extractor_version=extractor_version)
        assign_story(session, article.id, article.text, story_threshold)
    session.flush()
    return changed


def article_record(session: Session, article_id: int) -> ArchiveRecord | None:
    """The WARC record the article's fields were read from."""
    return session.scalars(select(ArchiveRecord).join(Article, Article.archive_id == ArchiveRecord.id)
                           .where(Article.id == article_id)).first()


def records_for(session: Session, article_ids: Sequence[int]) -> list[ArchiveRecord]:
    """The WARC record of each of these articles that has one, in article id order."""
    stmt = (select(ArchiveRecord).join(Article, Article.archive_id == ArchiveRecord.id)
            .where(Article.id.in_(list(article_ids))).order_by(Article.id))
    return list(session.scalars(stmt))


class Reference(NamedTuple):
    """A row that points into the archive: ``kind`` is "article" or "version"."""

    kind: str
    id: int
    record: ArchiveRecord


def references(session: Session) -> Iterator[Reference]:
    """Every article and version pointer with the record it names (a pointer to a
    missing row comes with ``record`` None)."""
    for kind, model in (("article", Article), ("version", ArticleVersion)):
        stmt = (select(model.id, ArchiveRecord).outerjoin(ArchiveRecord, ArchiveRecord.id == model.archive_id)
                .where(model.archive_id.is_not(None)).order_by(model.id).execution_options(yield_per=1000))
        for row_id, record in session.execute(stmt):
            yield Reference(kind, row_id, record)


def archive_size(session: Session) -> tuple[int, int, int]:
    """(records, bytes of records, articles pointing into the archive)."""
    records, size = session.execute(select(func.count(ArchiveRecord.id),
                                           func.coalesce(func.sum(ArchiveRecord.length), 0))).one()
    articles = session.scalar(select(func.count(Article.id)).where(Article.archive_id.is_not(None)))
    return int(records), int(size), int(articles or 0)


def prunable(session: Session, *, older_than: datetime | None = None, keep_versions: int | None = None) -> set[int]:
    """Records a retention policy lets go: never the page an article's fields come from;
    of the others, those fetched before ``older_than``, or not the page of one of the
    article's ``keep_versions`` newest versions, and every record nothing points to."""
    current = set(session.scalars(select(Article.archive_id).where(Article.archive_id.is_not(None))))
    kept_by_version: set[int] = set()
    if keep_versions is not None:
        rows = session.execute(select(ArticleVersion.article_id, ArticleVersion.archive_id)
                               .where(ArticleVersion.archive_id.is_not(None))
                               .order_by(ArticleVersion.article_id, ArticleVersion.version.desc()))
        seen: dict[int, int] = {}
        for article_id, archive_id in rows:
            seen[article_id] = seen.get(article_id, 0) + 1
            if seen[article_id] <= keep_versions:
                kept_by_version.add(archive_id)
    else:
        kept_by_version = set(session.scalars(select(ArticleVersion.archive_id)
                                              .where(ArticleVersion.archive_id.is_not(None))))
    drop = set()
    for record_id, fetched_at in session.execute(select(ArchiveRecord.id, ArchiveRecord.fetched_at)):
        if record_id in current:
            continue
        if record_id not in kept_by_version or (older_than is not None and fetched_at < older_than):
            drop.add(record_id)
    return drop


def records_in_files(session: Session, files: Sequence[str]) -> list[ArchiveRecord]:
    """Every record of these files, in file and offset order."""
    return list(session.scalars(select(ArchiveRecord).where(ArchiveRecord.file.in_(list(files)))
                                .order_by(ArchiveRecord.file, ArchiveRecord.offset)))


def move_record(session: Session, record_id: int, file: str, offset: int) -> None:
    session.execute(update(ArchiveRecord).where(ArchiveRecord.id == record_id).values(file=file, offset=offset))


def drop_records(session: Session, record_ids: Sequence[int]) -> None:
    """Forget records: versions that pointed to them point nowhere."""
    ids = list(record_ids)
    session.execute(update(ArticleVersion).where(ArticleVersion.archive_id.in_(ids)).values(archive_id=None))
    session.execute(delete(ArchiveRecord).where(ArchiveRecord.id.in_(ids)))
