"""Stories: the copies of one event across outlets (crawler.core.similarity assigns them).

Helpers take a Session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.core.similarity import estimate_similarity, unpack
from storage.models import Article, Signature, local_datetime


class StoryCopy(NamedTuple):
    article_id: int
    outlet: str | None
    title: str | None
    url: str
    published_at: datetime | None  # in the offset the outlet published with
    similarity: float  # estimated Jaccard similarity to the story's founding article


def stories_of(session: Session, article_ids: Iterable[int]) -> dict[int, int]:
    ids = list(article_ids)
    if not ids:
        return {}
    rows = session.execute(select(Signature.article_id, Signature.story_id).where(Signature.article_id.in_(ids)))
    return dict(rows.all())


def story_copies(session: Session, story_id: int) -> list[StoryCopy]:
    """Every article of the story, oldest first, with its similarity to the founder."""
    rows = session.execute(
        select(Article, Signature.minhash).join(Signature, Signature.article_id == Article.id)
        .where(Signature.story_id == story_id).order_by(Article.id)).all()
    if not rows:
        return []
    founder = next((unpack(m) for a, m in rows if a.id == story_id), unpack(rows[0][1]))
    return [StoryCopy(a.id, a.outlet, a.title, a.url, local_datetime(a.published_at, a.published_offset_minutes),
                      estimate_similarity(founder, unpack(m))) for a, m in rows]


class Story(NamedTuple):
    id: int
    size: int


def stories_with_sizes(session: Session, article_ids: Iterable[int]) -> dict[int, Story]:
    """Each article's story and how many articles it holds. An article with no signature
    yet stands alone: its story is its own id (as the founder of one would be), size 1."""
    ids = list(dict.fromkeys(article_ids))
    story = stories_of(session, ids)
    sizes: dict[int, int] = {}
    wanted = list(set(story.values()))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = session.execute(select(Signature.story_id, func.count()).where(Signature.story_id.in_(chunk))
                               .group_by(Signature.story_id))
        sizes.update(dict(rows.all()))
    return {i: Story(story[i], sizes.get(story[i], 1)) if i in story else Story(i, 1) for i in ids}


def story_outlets(session: Session, story_ids: Iterable[int]) -> dict[int, set[str | None]]:
    """The outlets each story's copies come from (for "also in N outlets")."""
    ids = list(dict.fromkeys(story_ids))
    outlets: dict[int, set[str | None]] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(select(Signature.story_id, Article.outlet).distinct()
                               .join(Article, Article.id == Signature.article_id)
                               .where(Signature.story_id.in_(ids[start:start + 500])))
        for story_id, outlet in rows:
            outlets.setdefault(story_id, set()).add(outlet)
    return outlets
