"""Article history: every distinct text an article had, with a word diff to the one before.

Helpers take a Session and never commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def versions(session: Session, article_id: int) -> list[ArticleVersion]:
    return list(session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                .order_by(ArticleVersion.version)))
