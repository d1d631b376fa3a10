"""Search, the use case: a page of ranked hits for a query (with snippets) or of the
newest articles, filtered, optionally one per story, with the total. The CLI's
``search`` and the HTTP API's ``/search`` both call ``find_articles``, so they answer
alike; both check their filters with ``check_filters`` first.

Every record leaves here in one shape (``record_json``): the article record, its
``story_id`` and ``story_size``, and ``snippet`` when there is a query. ``show`` and
``export`` give the same fields.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from crawler.core.record import ArticleRecord
from crawler.core.registry import Outlet
from storage.queries import (
    count_latest,
    get_article,
    has_value,
    known_values,
    latest_articles,
    newest_id,
)
from storage.queries import search as search_articles
from storage.search import RANK_WINDOW, SearchHit, fold
from storage.stories import Story, stories_with_sizes

COLLAPSE_OVERFETCH = 5
SEARCH_LIMIT_MAX = 10000
# The deepest result reachable: offset + limit. Ranking reads offset + limit matches
# of each tier (storage.search.RANK_WINDOW at least), so a deeper page costs more.
SEARCH_DEPTH_MAX = 10000
# A listing without a query counts its articles up to this; beyond, "at least".
LISTING_COUNT_CAP = RANK_WINDOW
STORY_FIELDS = ("story_id", "story_size")


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD filter; the ValueError's message names ``option``, so the CLI and
    the HTTP API report a bad date in the same words."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option} {value!r} is not a date of the form YYYY-MM-DD") from None


def parse_range(since: str | None, until: str | None, names: tuple[str, str]) -> tuple[date | None, date | None]:
    """Both dates of a range, or a ValueError naming the option at fault; ``since``
    after ``until`` is an error, not an empty result."""
    since_day, until_day = parse_day(since, names[0]), parse_day(until, names[1])
    if since_day and until_day and since_day > until_day:
        raise ValueError(f"{names[0]} {since_day} is after {names[1]} {until_day}: nothing can match")
    return since_day, until_day


class FilterError(ValueError):
    """A filter value that names no known outlet, province or section."""


def check_filters(session: Session, registry: dict[str, Outlet], *, outlet: str | None = None,
                  province: str | None = None, section: str | None = None) -> None:
    """Raise FilterError for an outlet, province or section that neither the registry
    nor the stored articles know, naming the closest valid values. A known outlet
    with no stored article is fine (it lists nothing)."""
    if outlet is not None and outlet not in registry and not has_value(session, "outlet", outlet):
        _unknown("outlet", outlet, set(registry) | set(known_values(session, "outlet")), fold_names=False)
    if province is not None and not has_value(session, "province", province):
        provinces = {o.province for o in registry.values()} | set(known_values(session, "province"))
        if fold(province) not in {fold(p) for p in provinces}:
            _unknown("province", province, provinces, fold_names=True)
    if section is not None and not has_value(session, "section", section):
        _unknown("section", section, set(known_values(session, "section")), fold_names=True)


def _unknown(kind: str, value: str, valid: set[str], *, fold_names: bool) -> None:
    names = sorted(valid)
    key = fold if fold_names else str.lower
    by_key = {key(n): n for n in names}
    close = difflib.get_close_matches(key(value), list(by_key), n=1, cutoff=0.6)
    hint = f"did you mean {by_key[close[0]]}? " if close else ""
    shown = ", ".join(names[:40]) + (", …" if len(names) > 40 else "")
    raise FilterError(f"unknown {kind} {value!r}: {hint}known: {shown or 'none stored yet'}")


@dataclass
class Page:
    """One page of a search or listing and what the whole result is like."""

    records: list[dict[str, Any]]
    total: int
    total_exact: bool
    offset: int
    limit: int
    # The newest article id searched: pass it back as ``as_of`` for the next page.
    as_of: int | None
    # No article holds the query as typed: these hold its syllables apart, or other
    # words that fold onto it (see storage.search.SearchHits.loose).
    loose: bool = False
    # Set when a query of very common words searched only this many newest articles.
    newest_only: int | None = None
    hits: dict[int, SearchHit] = field(default_factory=dict)


def record_json(record: ArticleRecord, story: Story, snippet: str | None = None, *,
                with_snippet: bool = False) -> dict[str, Any]:
    """The record every output gives: the article, its story, and the snippet when there is a query."""
    data = {**record.as_json(), "story_id": story.id, "story_size": story.size}
    if with_snippet:
        data["snippet"] = snippet
    return data


def find_articles(session: Session, query: str | None, *, limit: int, offset: int = 0, as_of: int | None = None,
                  collapse: bool = False, include_flagged: bool = False, **filters: str | date | None) -> Page:
    """What ``search`` lists: ranked hits for a query, else the newest; one page of them.

    ``filters`` are storage.search's: outlet, since, until, province, section, author."""
    # Folding copies can empty a page of results: ask for more, then cut.
    depth = (offset + limit) * COLLAPSE_OVERFETCH if collapse else offset + limit
    if query:
        hits = search_articles(session, query, limit=depth, as_of=as_of, include_flagged=include_flagged, **filters)
        ids, snippets = [h.id for h in hits], {h.id: h for h in hits}
        total, exact, as_of, loose = hits.total, hits.total_exact, hits.as_of, hits.loose
        newest_only = hits.newest_only if hits.total < depth else None
    else:
        as_of = as_of if as_of is not None else newest_id(session)
        ids = latest_articles(session, limit=depth, as_of=as_of, include_flagged=include_flagged, **filters)
        snippets, loose, newest_only = {}, False, None
        total = count_latest(session, LISTING_COUNT_CAP + 1, as_of=as_of, include_flagged=include_flagged, **filters)
        exact = total <= LISTING_COUNT_CAP
        total = min(total, LISTING_COUNT_CAP)
    stories = stories_with_sizes(session, ids)
    if collapse:
        ids = _one_per_story(ids, {i: s.id for i, s in stories.items()})
    ids = ids[offset:offset + limit]
    records = [r for r in (get_article(session, i) for i in ids) if r is not None]
    rows = [record_json(r, stories[r.id], snippets[r.id].snippet if r.id in snippets else None,
                        with_snippet=bool(query)) for r in records if r.id is not None]
    return Page(rows, total, exact, offset, limit, as_of, loose, newest_only, snippets)


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


def show_article(session: Session, ident: str) -> dict[str, Any] | None:
    """``show``: one article by id or by any URL the crawl would take for it, as ``record_json``."""
    record = get_article(session, int(ident) if ident.isdigit() else ident)
    if record is None or record.id is None:
        return None
    return record_json(record, stories_with_sizes(session, [record.id])[record.id])


def total_text(page: Page) -> str:
    """"21-40 of 134", "21-40 of at least 1,000"; the words the CLI prints."""
    shown = len(page.records)
    span = f"{page.offset + 1}-{page.offset + shown}" if shown else "none"
    return f"{span} of {'' if page.total_exact else 'at least '}{page.total:,}"
