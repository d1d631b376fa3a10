"""Full-text search over stored articles, ranked in tiers, in the database.

Three indexes (SQLite FTS5 tables; PostgreSQL tsvector columns):

- folded, ``articles.search_text`` = ``fold(title, summary, text)`` (``articles_fts``;
  ``search_vector``, migration 0006): "lang son", "Lạng Sơn" and "LẠNG SƠN" alike;
- exact, title, lead and text with their diacritics (``articles_exact``;
  ``search_exact``, migration 0010): "cửa khẩu" and never "của khâu";
- head, title and lead folded, by column (``articles_head``; ``search_head``): where
  the words are;
- pairs, each article's adjacent-syllable pairs as tokens with no positions
  (``articles_pairs``; the expression index ``ix_articles_search_pairs``, migration
  0014): the phrase tier, and on SQLite the title and lead of a multi-syllable unit.

The query language and its FTS5/tsquery text are in ``storage.search_query``: user
input never reaches the FTS grammar.

A query typed with diacritics (one clause, every unit marked) is held to them: only
articles holding it as typed are listed (in either tone placement, or written with
no marks at all, "Da Nang" in an English text). When none does, every folded match is
listed, scattered syllables last, and ``SearchHits.loose`` says so ("no article holds
cửa khẩu; these hold its syllables apart or other words"). A query without marks, or
with OR, searches the folded index.

Order, the same on both backends:

1. the tier of an unquoted run of several syllables ("cửa khẩu"): held in sequence,
   then near (every adjacent pair within NEAR_GAP words), then with one adjacent pair,
   then (only in a loose listing) scattered; each tier is one index query;
2. held with the typed marks before held only unmarked;
3. where the words are: each unit in the title counts 2, in the lead 1;
4. newest published, then newest stored.

Each tier the page reaches reads its newest RANK_WINDOW matches (ids, from the index);
a tier below the page is only counted, in the newest COUNT_ROWS ids. Only the tiers a
page reaches are ordered, with one index query per key over those ids and a
read of their published_at: no article text is read to rank, and page 50 costs what
page 1 does. Every key is a property of the article alone (no corpus statistics such
as bm25's IDF), and only articles stored up to ``as_of`` are searched, so the order
of a query never changes while a crawl inserts: pages neither repeat nor skip.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import (
    Row,
    Select,
    cast,
    column,
    false,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Article, local_datetime
from storage.search_query import (
    APART,
    BARE,
    EXACT,
    FOLDED,
    HEAD,
    MARKED,
    MAX_PHRASE_TOKENS,
    MAX_TERMS,
    NEAR,
    PAIR,
    PAIR_JOIN,
    PHRASE,
    TOKEN,
    ParsedQuery,
    exact_ready,
    fts5_excluded,
    fts5_head,
    fts5_match,
    fts5_pairs,
    fts5_unit_pairs,
    holds_in_sequence,
    needs_check,
    pair_tokens,
    pairs_ready,
    parse_query,
    spellings,
    tsquery_excluded,
    tsquery_head,
    tsquery_pairs,
    tsquery_text,
)
from storage.textfold import _FOLD, _fold_slow, fold, has_diacritics, search_text

__all__ = ["MAX_PHRASE_TOKENS", "MAX_TERMS", "ParsedQuery", "SearchHit", "SearchHits", "_fold_slow",
           "fold", "fts5_match", "has_diacritics", "parse_query", "search", "search_text"]

VIETNAM = timezone(timedelta(hours=7))
SNIPPET_CHARS = 160


@dataclass
class SearchHit:
    id: int
    outlet: str | None
    url: str
    title: str | None
    published_at: datetime | None
    # How the article holds the query: "phrase", "near", "pair", "apart" (see
    # storage.search_query.LEVELS), or "match" for a query with no run of several syllables.
    match: str
    snippet: str
    # (start, end) character spans of matched terms inside ``snippet``.
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def marked(self, open_: str = "[", close: str = "]") -> str:
        """The snippet with each highlight wrapped, e.g. in Rich markup."""
        out, last = [], 0
        for start, end in self.highlights:
            out += [self.snippet[last:start], open_, self.snippet[start:end], close]
            last = end
        out.append(self.snippet[last:])
        return "".join(out)


def day_start(day: date | datetime) -> datetime:
    """Start of a filter day in Vietnam time; aware datetimes pass through."""
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=VIETNAM)
    return datetime.combine(day, time.min, tzinfo=VIETNAM)


def day_end(day: date | datetime) -> datetime:
    """Exclusive upper bound: an ``until`` date includes its whole +07:00 day."""
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=VIETNAM)
    return day_start(day) + timedelta(days=1)


def date_filters(
    outlet: str | None, since: date | datetime | None, until: date | datetime | None
) -> list[ColumnElement[bool]]:
    return filters(outlet=outlet, since=since, until=until)


def filter_key(value: str, length: int) -> str:
    """The stored form of a province or section: folded, cut to the column width."""
    return fold(value)[:length]


def authors_key(authors: list[str]) -> str | None:
    names = [fold(a) for a in authors if a and a.strip()]
    return "|" + "|".join(names) + "|" if names else None


def filters(
    *,
    outlet: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    province: str | None = None,
    section: str | None = None,
    author: str | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE conditions shared by search, listings and export.

    Province and section match whole values, author any part of one author's
    name; all three ignore diacritics and case. A value that folds to nothing
    (only punctuation) matches nothing rather than everything.
    """
    conditions: list[ColumnElement[bool]] = []
    if outlet:
        conditions.append(Article.outlet == outlet)
    if since:
        conditions.append(Article.published_at >= day_start(since))
    if until:
        # A datetime ``until`` is an inclusive instant; a date covers its whole day.
        op = Article.published_at <= day_end(until) if isinstance(until, datetime) else Article.published_at < day_end(until)
        conditions.append(op)
    if province is not None:
        conditions.append(Article.province_key == filter_key(province, 100))
    if section is not None:
        conditions.append(Article.section_key == filter_key(section, 200))
    if author is not None:
        folded = fold(author).replace("|", " ").strip()
        conditions.append(Article.authors_key.contains(f"{folded}", autoescape=True) if folded else false())
    return conditions


# Where each spelling is indexed (migrations 0001/0006 and 0010): SQLite FTS5 tables,
# PostgreSQL generated tsvector columns. MARKED and BARE read the exact index.
# PAIRS: the word-pair index of migration 0014 (SQLite table; PostgreSQL expression index).
PAIRS = "pairs"
_FTS_TABLE = {FOLDED: "articles_fts", EXACT: "articles_exact", MARKED: "articles_exact", BARE: "articles_exact",
              HEAD: "articles_head", PAIRS: "articles_pairs"}
_PG_VECTOR = {FOLDED: "search_vector", EXACT: "search_exact", MARKED: "search_exact", BARE: "search_exact",
              HEAD: "search_head"}

# Each tier's newest RANK_WINDOW matches are ranked (more when a deeper page is
# asked for), so page 50 of 20 costs what page 1 does. The same number caps the
# total: "at least 1,000" beyond it.
RANK_WINDOW = 1000
# At 1M rows a query whose every term is common (in more than COMMON_DF documents)
# has no short doclist to bound the work: a phrase of common words with no match
# read every position list (150 ms for "ban thường vụ", bench/storage.py). Such a
# query searches the newest SCAN_ROWS articles, unless a date range is given.
COMMON_DF = 50_000
# The probe counts a term's matches among the newest DF_SAMPLE articles and
# scales that to the whole table: counting up to COMMON_DF postings took
# 15-30 ms a term at 1M rows, the sample 0.5 ms. An estimate near the threshold
# may fall either side; that bounds which ids are searched, never how they rank.
DF_SAMPLE = 5000
SCAN_ROWS = 100_000
# ... in id slices from the top, the first FIRST_SLICE ids wide (see _next_width).
FIRST_SLICE = 2000
# A tier below the page is read only for the total: its matches among the newest
# COUNT_ROWS ids, and the total is then "at least" unless those were all the ids. A
# near tier of common words read every position list of the newest 100k articles
# (60-100 ms) for a page the phrase tier had already filled.
# PostgreSQL rechecks each candidate's whole tsvector for a positional tier (its GIN
# index has no positions), so it counts in fewer.
COUNT_ROWS = {"sqlite": 20_000, "postgresql": 2_000}


class SearchHits(list[SearchHit]):
    """One page of hits, and what the whole result is like."""

    # Matches of the listed tiers, exact when ``total_exact``, else a lower bound.
    total: int = 0
    total_exact: bool = True
    # Only articles with ids up to this were searched; pass it back for the next page.
    as_of: int | None = None
    # No article holds the query as typed: these hold its syllables apart, or words
    # that fold onto it ("của khâu" for "cửa khẩu").
    loose: bool = False
    # Set when a query of very common words searched only this many newest articles.
    newest_only: int | None = None


class _Scope(NamedTuple):
    """What every tier's SQL shares: the filters, the newest id searched and the lowest."""

    indexed: list[ColumnElement[bool]]  # answered from the filter columns' indexes
    by_row: list[ColumnElement[bool]]  # read from each candidate's row (author)
    as_of: int
    # Only ids above this are searched (a query of only common words); None: all.
    floor: int | None
    window: int
    include_flagged: bool
    # The page needs this many ranked ids (offset + limit): a tier below them is read
    # only to count, in the newest COUNT_ROWS ids.
    need: int


def _match(dialect: str, spelling: str, text: str) -> ColumnElement[bool]:
    """``text`` (FTS5 MATCH or to_tsquery text) against the index of ``spelling``."""
    if dialect == "sqlite":
        return literal_column(_FTS_TABLE[spelling]).op("MATCH")(text)
    if spelling == PAIRS:
        # Textually the indexed expression; the lexemes are pairs as they are (to_tsquery
        # would parse "phat_trien" into two words).
        pairs = func.provnews_pairs(Article.search_text, Article.title, Article.summary, Article.text)
        return pairs.op("@@")(cast(text, TSQUERY))
    vector = literal_column(f"articles.{_PG_VECTOR[spelling]}")
    return vector.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), text))


_PUBLISHED_RAW = literal_column("articles.published_at")
_FTS_ROWID = {name: table(name, column("rowid")).c.rowid for name in set(_FTS_TABLE.values())}


def _rowid(dialect: str, spelling: str) -> ColumnElement[int]:
    return _FTS_ROWID[_FTS_TABLE[spelling]] if dialect == "sqlite" else Article.id


def _matching(dialect: str, spelling: str, text: str) -> Select[tuple[int]]:
    """SELECT of the ids ``text`` matches in the index of ``spelling``."""
    return select(_rowid(dialect, spelling).label("id")).where(_match(dialect, spelling, text))


def _scope(session: Session, query: ParsedQuery, spelling: str, conditions: tuple[list[ColumnElement[bool]], ...],
           as_of: int | None, dated: bool, window: int, include_flagged: bool, need: int) -> _Scope:
    """``dated``: a --since/--until range is asked for. Ids follow insertion, not
    publication, so the newest-ids bound could hide every article of an older range:
    a dated query is never bounded."""
    dialect = session.get_bind().dialect.name
    newest = as_of if as_of is not None else session.scalar(select(func.max(Article.id))) or 0
    floor = None
    if not dated and newest > SCAN_ROWS:
        terms = dict.fromkeys(t for u in query.units for t in spellings(u, spelling)[0])
        ids = _rowid(dialect, spelling)
        # Counting stops at what makes a term common: a common term's sample is the dearest.
        enough = math.ceil(COMMON_DF / max(1.0, newest / DF_SAMPLE))
        samples = [
            select(func.count()).select_from(_matching(dialect, spelling, _one_term(dialect, term)).where(
                ids > newest - DF_SAMPLE, ids <= newest).limit(enough).subquery()).scalar_subquery()
            for term in terms
        ]
        counts = session.execute(select(*samples)).one()
        if all(count >= enough for count in counts):
            floor = newest - SCAN_ROWS
    return _Scope(*conditions, newest, floor, window, include_flagged, need)


def _one_term(dialect: str, term: str) -> str:
    return f'"{term}"' if dialect == "sqlite" else f"'{term}'"


def _tier_text(dialect: str, query: ParsedQuery, spelling: str, level: int, higher: int | None) -> str:
    """Match text for the documents holding ``query`` at ``level`` but not at ``higher``."""
    if dialect == "sqlite":
        text = f"({fts5_match(query, level, spelling)})"
        return text + f" NOT ({fts5_match(query, higher, spelling)})" if higher is not None else text
    text = f"({tsquery_text(query, level, spelling)})"
    return text + f" & !({tsquery_text(query, higher, spelling)})" if higher is not None else text


def _excluded(dialect: str, query: ParsedQuery, spelling: str, include_flagged: bool) -> list[ColumnElement[bool]]:
    """Flagged articles unless asked for (read from the partial index ix_articles_flagged,
    migration 0010), and the exclusions for an index other than the folded one (whose
    match text has them)."""
    ids = _rowid(dialect, spelling)
    out = [] if include_flagged else [ids.not_in(select(Article.id).where(Article.encoding_confidence.is_not(None)))]
    clause = query.clauses[0]
    if spelling == FOLDED or not clause.excluded:
        return out
    if dialect == "sqlite":
        return [*out, ids.not_in(_matching(dialect, FOLDED, fts5_excluded(clause)))]
    return [*out, ~_match(dialect, FOLDED, tsquery_excluded(clause))]


def _tier_ids(session: Session, spelling: str, match: str, scope: _Scope, extra: list[ColumnElement[bool]],
              skip: frozenset[int] = frozenset()) -> list[int]:
    """The ids of the newest ``scope.window`` matches up to ``scope.as_of``, leaving out
    ``skip`` (SQLite: the ids of the tiers above, which the match text then need not
    exclude with NOT)."""
    dialect = session.get_bind().dialect.name
    ids = _rowid(dialect, spelling)
    # The word pairs have no positions: a pair's whole doclist is read faster than the
    # id slices are set up (SQLite, 1M rows: "đại hội đảng"'s pairs in the newest 100k
    # ids, 0.4 ms in one query, 4-7 ms in slices). A filter still goes by slices, which
    # check it from the filter columns' indexes.
    whole = dialect == "sqlite" and spelling == PAIRS and not (scope.indexed or scope.by_row)
    if scope.floor is not None and not whole:
        return _newest_ids(session, spelling, match, scope, extra, skip)
    stmt = _matching(dialect, spelling, match).where(ids <= scope.as_of, *extra)
    if scope.floor is not None:
        stmt = stmt.where(ids > scope.floor)
    if dialect != "sqlite":
        # Materialized so PostgreSQL reads the matches from the GIN index: ordered by id
        # with a LIMIT, it walked the primary key backwards testing every row's vector
        # (a phrase with few matches read all 735k rows).
        found = stmt.where(*scope.indexed, *scope.by_row).cte("found").prefix_with("MATERIALIZED")
        return list(session.scalars(select(found.c.id).order_by(found.c.id.desc()).limit(scope.window)))
    if scope.indexed or scope.by_row:
        stmt = stmt.join(Article, Article.id == ids)
    stmt = stmt.where(*scope.indexed, *scope.by_row)
    got = session.scalars(stmt.order_by(ids.desc()).limit(scope.window + len(skip)))
    return [i for i in got if i not in skip][:scope.window]


def _newest_ids(session: Session, spelling: str, match: str, scope: _Scope,
                extra: list[ColumnElement[bool]], skip: frozenset[int] = frozenset()) -> list[int]:
    """The newest matching ids in (floor, as_of], read slice by slice from the top.

    Each slice is read in ascending order: FTS5 scanning downwards ignores a lower
    rowid bound until it meets a match (a phrase with no match read the whole
    index), while upwards it starts at the bound and reads on to the newest id.
    """
    dialect = session.get_bind().dialect.name
    ids = _rowid(dialect, spelling)
    found: list[int] = []
    top, width, floor = scope.as_of, FIRST_SLICE, scope.floor or 0
    while top > floor and len(found) < scope.window:
        bottom = max(floor, top - width)
        # Materialized so the filters are checked on the slice's matches: left to
        # itself, SQLite walked a filter's index and re-ran MATCH per row (2 s a query).
        hits = (_matching(dialect, spelling, match).where(ids > bottom, ids <= top, *extra)
                .cte("slice").prefix_with("MATERIALIZED"))
        stmt = select(hits.c.id)
        if scope.indexed:
            # Answered from the filter columns' indexes over the slice's id range:
            # fetching the article row of every match took 29 ms for 20k ids, this 6 ms.
            in_range = select(Article.id).where(*scope.indexed, Article.id > bottom, Article.id <= top)
            stmt = stmt.where(hits.c.id.in_(in_range))
        if scope.by_row:
            stmt = stmt.join(Article, Article.id == hits.c.id).where(*scope.by_row)
        got = [i for i in session.scalars(stmt.order_by(hits.c.id.desc()).limit(scope.window - len(found) + len(skip)))
               if i not in skip][:scope.window - len(found)]
        found += got
        top, width = bottom, _next_width(top - bottom, len(got), scope.window - len(found))
    return found


def _next_width(width: int, got: int, missing: int) -> int:
    """Four times as wide, or less when the last slice's density says fewer ids will do.

    Every id read costs FTS work and, with an author filter, a row lookup: for
    "du lich" by one author at 1M rows this took 20.6 ms a query, 18.0 ms sized.
    """
    if not got:
        return width * 4
    return max(1, min(width * 4, (missing * width * 5) // (got * 4)))


def _tiers(query: ParsedQuery) -> list[int]:
    """The tiers a query is ranked in, best first (APART, the fallback, excluded)."""
    if not query.graded:
        return [APART]  # no run of several syllables: one tier, every match
    pairs = any(u.graded and len(u.tokens) > 2 for c in query.clauses for u in c.units)
    return [PHRASE, NEAR, PAIR] if pairs else [PHRASE, NEAR]


class _Tier(NamedTuple):
    level: int
    spelling: str
    ids: list[int]  # newest first
    # Read only to count, among the newest COUNT_ROWS ids (more may lie below).
    partial: bool = False


def _find_tiers(session: Session, query: ParsedQuery, spelling: str, scope: _Scope, levels: list[int],
                higher: int | None = None, found_before: int = 0, seen: frozenset[int] = frozenset()) -> list[_Tier]:
    """Each tier's newest matches (below the tier ``higher``, whose tiers hold the ids
    ``seen``), each id in its best tier.

    Once ``scope.window`` ids are found no lower tier is read: every page asked for
    lies in those (the window covers offset + limit), and the total is then "at least".

    On SQLite a tier's match text is its level alone, and the ids of the tiers above
    are left out in Python: each tier above was read whole within the scope of the
    tiers below (else the window was full), so its ids are all there is to exclude,
    while ``NEAR ... NOT "a b c"`` made FTS5 check each candidate's positions twice
    (folded "phát triển bền vững" at 200k rows: near, pair and scattered tiers 37 ms
    of FTS5 work as levels alone, 58 ms with NOT). It also puts an article near but
    with no adjacent pair in the near tier only, where ``scattered NOT pair`` listed
    it twice."""
    dialect = session.get_bind().dialect.name
    extra = _excluded(dialect, query, spelling, scope.include_flagged)
    found: list[_Tier] = []
    for level in levels:
        got = found_before + sum(len(t.ids) for t in found)
        if got >= scope.window:
            break
        tier_scope, partial = scope, False
        if got >= scope.need:
            bottom = scope.as_of - COUNT_ROWS[dialect]
            tier_scope, partial = scope._replace(floor=max(bottom, scope.floor or 0)), bottom > (scope.floor or 0)
        # The phrase tier, or the one tier of a query of quoted phrases only.
        if higher is None and level in (PHRASE, APART) and (level == PHRASE or not query.graded) \
                and pairs_ready(query):
            ids = _phrase_ids(session, query, spelling, tier_scope)
        elif dialect == "sqlite" and level == PAIR and _one_run(query):
            ids = _pair_level_ids(session, query, spelling, tier_scope, seen)
        elif dialect == "sqlite":
            ids = _tier_ids(session, spelling, _tier_text(dialect, query, spelling, level, None), tier_scope, extra,
                            seen)
        else:
            # ``scattered & !pair`` still holds a near match with no adjacent pair: the
            # ids above are dropped here too, so each id is listed once.
            ids = [i for i in _tier_ids(session, spelling, _tier_text(dialect, query, spelling, level, higher),
                                        tier_scope, extra) if i not in seen]
        found.append(_Tier(level, spelling, ids, partial))
        higher = level
        seen = seen | frozenset(ids)
    return found


def _one_run(query: ParsedQuery) -> bool:
    """A query of one unquoted run and nothing else ("đại hội đảng"), the form whose
    pair tier ``_pair_level_ids`` reads from the word pairs."""
    return len(query.clauses) == 1 and len(query.units) == 1 and not query.clauses[0].excluded


def _pair_level_ids(session: Session, query: ParsedQuery, spelling: str, scope: _Scope,
                    skip: frozenset[int]) -> list[int]:
    """SQLite, the pair level of a one-run query (_one_run): the newest articles holding
    every syllable and one adjacent pair, not in ``skip``, in one spelling at least.

    FTS5 read that as ``"a" AND "b" AND "c" AND ("a b" OR "b c")``, checking the two
    phrases' positions on every article holding the syllables (folded "phát triển bền
    vững", 200k rows: 977 articles checked, 23 held, 12.3 ms). Here the word pairs name
    the articles with an adjacent pair (short doclists, no positions), newest first, and
    the syllables are matched only over the id range those span."""
    unit = query.units[0]
    table_ = _FTS_TABLE[spelling]
    alternatives = [(" OR ".join(f'"{p}"' for p in pair_tokens(tokens, PAIR_JOIN[spelling])),
                     " AND ".join(f'"{t}"' for t in tokens)) for tokens in spellings(unit, spelling)]
    flagged = [] if scope.include_flagged else [Article.encoding_confidence.is_(None)]
    found: list[int] = []
    top, floor = scope.as_of, scope.floor or 0
    while len(found) < scope.window and top > floor:
        chunk = scope.window - len(found) + len(skip)
        candidates = [list(session.scalars(sql_text(
            "SELECT rowid FROM articles_pairs WHERE articles_pairs MATCH :m AND rowid > :lo AND rowid <= :hi"
            " ORDER BY rowid DESC LIMIT :n"), {"m": pairs, "lo": floor, "hi": top, "n": chunk}))
            for pairs, _ in alternatives]
        # Every alternative is complete above ``bottom``: the next round reads below it.
        bottom = max([c[-1] - 1 for c in candidates if len(c) == chunk] or [floor])
        held: set[int] = set()
        for (_, words), ids in zip(alternatives, candidates, strict=True):
            ids = [i for i in ids if i > bottom and i not in skip]
            if ids:
                held.update(set(session.scalars(sql_text(
                    f"SELECT rowid FROM {table_} WHERE {table_} MATCH :m AND rowid >= :lo AND rowid <= :hi"),
                    {"m": words, "lo": ids[-1], "hi": ids[0]})).intersection(ids))
        if held and (scope.indexed or scope.by_row or flagged):
            held = set(session.scalars(select(Article.id).where(
                Article.id.in_(held), *scope.indexed, *scope.by_row, *flagged)))
        found += sorted(held, reverse=True)[:scope.window - len(found)]
        top = bottom
    return found


def _phrase_ids(session: Session, query: ParsedQuery, spelling: str, scope: _Scope) -> list[int]:
    """The phrase tier from the word pairs (pairs_ready): the articles holding every
    adjacent pair of each unit; a unit of three syllables or more is then checked on
    the candidates' text, newest first, until the window is full."""
    dialect = session.get_bind().dialect.name
    text = fts5_pairs(query, spelling) if dialect == "sqlite" else tsquery_pairs(query, spelling)
    extra = _excluded(dialect, query, PAIRS, scope.include_flagged)
    if not needs_check(query):
        return _tier_ids(session, PAIRS, text, scope, extra)
    found: list[int] = []
    top = scope.as_of
    while len(found) < scope.window and top > (scope.floor or 0):
        wanted = scope.window - len(found)
        chunk = _tier_ids(session, PAIRS, text, scope._replace(as_of=top, window=wanted), extra)
        held = _held(session, query, spelling, chunk)
        found += [i for i in chunk if i in held]
        if len(chunk) < wanted:
            break
        top = chunk[-1] - 1
    return found


def _held(session: Session, query: ParsedQuery, spelling: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` hold the query's units in sequence, read from their text as the
    index of ``spelling`` tokenises it (the exact index: per column on SQLite, title,
    lead and body run together on PostgreSQL)."""
    if not ids:
        return set()
    if spelling == FOLDED:
        rows = session.execute(select(Article.id, Article.search_text).where(Article.id.in_(ids)))
        return {i for i, folded in rows if holds_in_sequence(query, spelling, [TOKEN.findall(folded)])}
    per_column = session.get_bind().dialect.name == "sqlite"
    held = set()
    for i, *parts in session.execute(select(Article.id, Article.title, Article.summary, Article.text)
                                     .where(Article.id.in_(ids))):
        texts = [(p or "").lower() for p in parts]
        tokens = [TOKEN.findall(t) for t in texts] if per_column else [TOKEN.findall(" ".join(texts))]
        if holds_in_sequence(query, spelling, tokens):
            held.add(i)
    return held


def _in_range(session: Session, spelling: str, text: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` the index of ``spelling`` matches ``text`` for."""
    dialect = session.get_bind().dialect.name
    rowid = _rowid(dialect, spelling)
    bound = [rowid.in_(ids)] if dialect != "sqlite" else [rowid >= min(ids), rowid <= max(ids)]
    return set(session.scalars(_matching(dialect, spelling, text).where(*bound))) & set(ids)


def _ordered(session: Session, query: ParsedQuery, tier: _Tier) -> list[int]:
    """A tier's ids best first: held with the typed marks before held only unmarked
    ("Da Nang" in an English text), then where the units are (each in the title
    counts 2, in the lead 1), then newest published, then newest stored.

    Each key is one index query over the tier's ids, or a read of their published_at,
    so a page costs the same whatever its offset, and no article text is read."""
    ids = tier.ids
    if len(ids) < 2:
        return ids
    dialect = session.get_bind().dialect.name
    score = dict.fromkeys(ids, 0)
    for unit in query.units:
        for column_, weight, tag in (("title", 2, "A"), ("summary", 1, "B")):
            if dialect == "sqlite" and len(unit.tokens) > 1:
                # The unit's pairs in that column: short doclists, where the head index
                # read the position lists of every article in the tier's id range.
                place, text = PAIRS, fts5_unit_pairs(unit, column_)
            else:
                place, text = HEAD, fts5_head(unit, column_) if dialect == "sqlite" else tsquery_head(unit, tag)
            for i in _in_range(session, place, text, ids):
                score[i] += weight
    unmarked: set[int] = set()
    if tier.spelling == EXACT and any(len(spellings(u, EXACT)) > len(spellings(u, MARKED)) for u in query.units):
        unmarked = _in_range(session, *_level_text(dialect, query, BARE, tier.level), ids)
        if unmarked:
            unmarked -= _in_range(session, *_level_text(dialect, query, MARKED, tier.level), sorted(unmarked))
    # The raw column: ISO text in UTC on SQLite, whose order is the time's; converting
    # 1,000 values to aware datetimes cost more than reading them.
    published = {i: p for i, p in session.execute(select(Article.id, _PUBLISHED_RAW).where(_id_in(dialect, ids)))}
    return sorted(ids, key=lambda i: (i not in unmarked, score[i], published.get(i) is not None, published.get(i) or 0,
                                      i), reverse=True)


def _id_in(dialect: str, ids: list[int]) -> ColumnElement[bool]:
    """``articles.id IN ids``; on SQLite one JSON parameter (json_each) instead of one
    bound parameter per id: for the 1,000 ids of a ranked tier the expanding IN spent
    4.5 ms in SQLAlchemy and the driver, json_each 2.6 ms (200k rows)."""
    if dialect != "sqlite":
        return Article.id.in_(ids)
    return Article.id.in_(select(column("value")).select_from(func.json_each(json.dumps(ids))))


def _level_text(dialect: str, query: ParsedQuery, spelling: str, level: int) -> tuple[str, str]:
    """(index, match text) of the articles holding ``query`` at ``level`` or better in
    ``spelling``: the phrase level from the pairs when they answer it (a unit of three
    syllables or more then counts as held when all its pairs are)."""
    if level == PHRASE and pairs_ready(query):
        return PAIRS, fts5_pairs(query, spelling) if dialect == "sqlite" else tsquery_pairs(query, spelling)
    return spelling, _tier_text(dialect, query, spelling, level, None)


def _page(session: Session, query: ParsedQuery, tiers: list[_Tier], offset: int, limit: int) -> list[tuple[int, int]]:
    """(level, id) of the page's hits: tier by tier, each ordered only if the page reaches it."""
    page: list[tuple[int, int]] = []
    for tier in tiers:
        if offset >= len(tier.ids):
            offset -= len(tier.ids)
            continue
        page += [(tier.level, i) for i in _ordered(session, query, tier)[offset:offset + limit - len(page)]]
        offset = 0
        if len(page) >= limit:
            break
    return page


def search(
    session: Session,
    query: str,
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
) -> SearchHits:
    """One page of ranked hits (see the module docstring for the order).

    Articles whose ``encoding_confidence`` is low (mojibake, a legacy font) are left
    out unless ``include_flagged``. ``as_of`` (the ``as_of`` of the first page's
    hits) keeps later pages on the same articles while a crawl inserts.
    """
    parsed = parse_query(query)
    hits = SearchHits()
    if parsed.empty or limit <= 0:
        return hits
    # authors_key has no index: it is read from the row.
    conditions = (filters(outlet=outlet, since=since, until=until, province=province, section=section),
                  filters(author=author))
    dated = since is not None or until is not None
    window = max(RANK_WINDOW, offset + limit)
    spelling = EXACT if exact_ready(parsed) else FOLDED
    scope = _scope(session, parsed, spelling, conditions, as_of, dated, window, include_flagged, offset + limit)
    tiers = _find_tiers(session, parsed, spelling, scope, _tiers(parsed))
    if not any(t.ids for t in tiers):
        # Nothing holds the query as typed: every folded match, scattered last, and say so.
        if spelling != FOLDED:
            scope = _scope(session, parsed, FOLDED, conditions, as_of, dated, window, include_flagged, offset + limit)
            tiers = _find_tiers(session, parsed, FOLDED, scope, _tiers(parsed))
        if parsed.graded and len(tiers) == len(_tiers(parsed)):
            tiers += _find_tiers(session, parsed, FOLDED, scope, [APART], _tiers(parsed)[-1],
                                 sum(len(t.ids) for t in tiers), frozenset(i for t in tiers for i in t.ids))
        hits.loose = any(t.ids for t in tiers)
    hits.total = sum(len(t.ids) for t in tiers)
    hits.total_exact = hits.total < window and not any(t.partial for t in tiers)
    hits.as_of = scope.as_of
    if scope.floor is not None:
        hits.newest_only = SCAN_ROWS
    page = _page(session, parsed, tiers, offset, limit)
    rows = {row.id: row for row in session.execute(select(*_HIT_COLUMNS).where(Article.id.in_([i for _, i in page])))}
    tier = _tier_names(parsed)
    hits.extend(_hit(rows[i], parsed, tier[level]) for level, i in page if i in rows)
    return hits


def _tier_names(query: ParsedQuery) -> dict[int, str]:
    if not query.graded:
        return {APART: "match"}
    return {PHRASE: "phrase", NEAR: "near", PAIR: "pair", APART: "apart"}


def matching_ids(session: Session, query: str) -> Select | None:
    """A SELECT of the ids of every article matching ``query`` (no ranking), or None for an empty query."""
    parsed = parse_query(query)
    if parsed.empty:
        return None
    dialect = session.get_bind().dialect.name
    return _matching(dialect, FOLDED, _tier_text(dialect, parsed, FOLDED, APART, None))


_HIT_COLUMNS = [Article.id, Article.outlet, Article.url, Article.title, Article.text, Article.published_at,
                Article.published_offset_minutes]


def _hit(row: Row[Any], query: ParsedQuery, match: str) -> SearchHit:
    snippet, spans = make_snippet(row.text or row.title or "", query.terms, runs=[u.tokens for u in query.units])
    return SearchHit(
        id=row.id, outlet=row.outlet, url=row.url, title=row.title,
        published_at=local_datetime(row.published_at, row.published_offset_minutes),
        match=match, snippet=snippet, highlights=spans,
    )


def _folded_with_map(text: str) -> tuple[str, list[int] | None]:
    """Fold char by char (no whitespace collapse), keeping each folded char's source index.

    The index map is None when every character folds to exactly one (the usual
    case for Vietnamese): positions are then the same in both strings.
    """
    folded = text.translate(_FOLD)
    if len(folded) == len(text) and all(len(_FOLD[ord(c)]) == 1 for c in set(text)):
        return folded, None
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        piece = _FOLD[ord(char)]
        out.append(piece)
        index += [i] * len(piece)
    return "".join(out), index


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS,
                 runs: list[tuple[str, ...]] | None = None) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` around the first of the ``runs`` (folded token sequences)
    held together, else the first matched term, with spans of the terms inside it."""
    text = unicodedata.normalize("NFC", text)
    folded, mapping = _folded_with_map(text)
    index = mapping if mapping is not None else range(len(text))
    found = sorted(
        (index[m.start()], index[m.end() - 1] + 1)
        for term in set(terms)
        for m in re.finditer(rf"(?<![^\W_]){re.escape(term)}(?![^\W_])", folded)
    )
    together = [m.start() for run in runs or [] if len(run) > 1
                for m in [re.search(r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, run)) + r"(?![^\W_])", folded)]
                if m]
    anchor = index[min(together)] if together else found[0][0] if found else None
    start = max(0, anchor - width // 3) if anchor is not None else 0
    end = min(len(text), start + width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    spans: list[tuple[int, int]] = []
    for s, e in found:
        if s >= start and e <= end and (not spans or s >= spans[-1][1]):
            spans.append((s, e))
    shift = len(prefix) - start
    return prefix + text[start:end] + suffix, [(s + shift, e + shift) for s, e in spans]
