"""Article history: every distinct text an article had, with a word diff to the one before.

Helpers take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, aliased

from crawler.core.similarity import word_diff
from storage.models import ArticleVersion


def add_version(session: Session, article_id: int, title: str | None, text: str, content_hash: str,
                fetched_at: datetime | None, *, origin: str = "fetch", archive_id: int | None = None,
                extractor_version: str | None = None) -> int:
    """Append the article's current text as its next version; the version number.
    ``origin`` says what made it: a fetch, a re-extraction of the archived page, an import."""
    previous = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                               .order_by(ArticleVersion.version.desc()).limit(1)).first()
    number = previous.version + 1 if previous else 1
    session.add(ArticleVersion(article_id=article_id, version=number, title=title, text=text,
                               content_hash=content_hash, fetched_at=fetched_at, origin=origin,
                               archive_id=archive_id, extractor_version=extractor_version,
                               diff=word_diff(previous.text, text) if previous else ""))
    session.flush()
    return number


class NewVersion(NamedTuple):
    """One text to append to an article's history (``add_versions``)."""

    article_id: int
    title: str | None
    text: str
    content_hash: str
    fetched_at: datetime | None
    archive_id: int | None
    extractor_version: str | None


def add_versions(session: Session, entries: Sequence[NewVersion], origin: str = "fetch") -> None:
    """``add_version`` for a batch: the latest stored versions read in one query, the new
    ones (diffs against those, or against an earlier entry of the batch for the same
    article) inserted in one statement."""
    if not entries:
        return
    ids = {entry.article_id for entry in entries}
    newer = aliased(ArticleVersion)
    latest = (select(ArticleVersion.article_id, ArticleVersion.version, ArticleVersion.text)
              .where(ArticleVersion.article_id.in_(ids),
                     ~select(newer.id).where(newer.article_id == ArticleVersion.article_id,
                                             newer.version > ArticleVersion.version).exists()))
    previous = {article_id: (version, text) for article_id, version, text in session.execute(latest)}
    rows = []
    for entry in entries:
        number, text = previous.get(entry.article_id, (0, None))
        rows.append({"article_id": entry.article_id, "version": number + 1, "title": entry.title,
                     "text": entry.text, "content_hash": entry.content_hash, "fetched_at": entry.fetched_at,
                     "origin": origin, "archive_id": entry.archive_id, "extractor_version": entry.extractor_version,
                     "diff": word_diff(text, entry.text) if text is not None else ""})
        previous[entry.article_id] = (number + 1, entry.text)
    session.execute(insert(ArticleVersion), rows)


def versions(session: Session, article_id: int) -> list[ArticleVersion]:
    return list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                .order_by(ArticleVersion.version)))
