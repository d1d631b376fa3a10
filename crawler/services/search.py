"""Search, the use case: ranked hits for a query (with snippets) or the newest articles,
filtered, optionally one per story. The CLI's ``search`` and the HTTP API's ``/search``
both call ``find_articles``, so they answer alike."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy.orm import Session

from crawler.core.record import ArticleRecord
from storage.queries import get_article, latest_articles
from storage.queries import search as search_articles
from storage.search import SearchHit
from storage.stories import stories_of

COLLAPSE_OVERFETCH = 5
SEARCH_LIMIT_MAX = 10000


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD filter; the ValueError's message names ``option``, so the CLI and
    the HTTP API report a bad date in the same words."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a date of the form YYYY-MM-DD") from None


class Found(NamedTuple):
    records: list[ArticleRecord]
    snippets: dict[int, SearchHit]
    # Set when a query of very common words searched only this many newest articles
    # and did not fill the page: older matches may exist (see storage.search.SCAN_ROWS).
    newest_only: int | None = None


def find_articles(session: Session, query: str | None, *, limit: int, collapse: bool = False,
                  include_flagged: bool = False, **filters: str | date | None) -> Found:
    """What ``search`` lists: ranked hits for a query (with their snippets), else the newest.

    ``filters`` are storage.search's: outlet, since, until, province, section, author."""
    # Folding copies can empty a page of results: ask for more, then cut.
    wanted = limit * COLLAPSE_OVERFETCH if collapse else limit
    newest_only = None
    if query:
        hits = search_articles(session, query, limit=wanted, include_flagged=include_flagged, **filters)
        snippets, ids = {h.id: h for h in hits}, [h.id for h in hits]
        newest_only = hits.newest_only if len(hits) < wanted else None
    else:
        snippets, ids = {}, latest_articles(session, limit=wanted, include_flagged=include_flagged, **filters)
    if collapse:
        ids = _one_per_story(ids, stories_of(session, ids))[:limit]
    records = [get_article(session, i) for i in ids]
    return Found([r for r in records if r is not None], snippets, newest_only)


def _one_per_story(ids: list[int], story: dict[int, int]) -> list[int]:
    """The best-ranked article of each story (an article without a story stands alone)."""
    seen: set[int] = set()
    kept = []
    for article_id in ids:
        key = story.get(article_id, -article_id)
        if key not in seen:
            seen.add(key)
            kept.append(article_id)
    return kept
