"""Diacritic-insensitive full-text search over stored articles, ranked in tiers.

Both backends index the same column, ``articles.search_text`` = ``fold(title,
summary, text)``, and both receive the user's query folded by the same Python
``fold``, so "lang son", "Lạng Sơn" and "LẠNG SƠN" find the same articles on
SQLite (FTS5 external-content table ``articles_fts``) and PostgreSQL (GIN index
on the stored ``articles.search_vector`` = ``to_tsvector('simple', search_text)``,
migration 0006). The query language and its FTS5/tsquery text are in
``storage.search_query``: user input never reaches the FTS grammar.

Ranking, the same on both backends (the SQL finds the matches of each tier, Python
orders them with values read from the article row, so both backends order alike):

1. the tier of an unquoted run of several syllables ("cửa khẩu"): held in sequence,
   then near (every adjacent pair within NEAR_GAP words), then with one adjacent pair;
2. held as typed: with the diacritics the user typed (tone placement aside, see
   ``_exactness``), so "cửa khẩu" ranks above "của khâu";
3. how much is verbatim: runs in sequence as typed, then words with their diacritics;
4. where the words are: the title counts twice, the lead (sapo) once;
5. newest published, then newest stored.

Only articles holding the query together and as typed are listed; when none does, every
match is listed in that order, scattered syllables last, and ``SearchHits.loose`` says so
("no article holds cửa khẩu; these hold its syllables apart or other words").

Every key is a property of the article alone (no corpus statistics such as bm25's
IDF), and only articles stored up to ``as_of`` are searched, so the order of a
query never changes while a crawl inserts: pages neither repeat nor skip.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import (
    Row,
    Select,
    and_,
    bindparam,
    case,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Article, local_datetime
from storage.search_query import (
    APART,
    MAX_NEEDLES,
    MAX_PHRASE_TOKENS,
    MAX_TERMS,
    NEAR,
    PAIR,
    PHRASE,
    SEQUENCE,
    TOKEN,
    WORD,
    WORDS,
    Needle,
    ParsedQuery,
    fts5_match,
    parse_query,
    tsquery_text,
)
from storage.textfold import (
    _FOLD,
    _fold_slow,
    fold,
    has_diacritics,
    search_text,
    tone_spellings,
)

__all__ = ["MAX_NEEDLES", "MAX_PHRASE_TOKENS", "MAX_TERMS", "ParsedQuery", "SearchHit", "SearchHits", "_fold_slow",
           "fold", "fts5_match", "has_diacritics", "parse_query", "search", "search_text"]

VIETNAM = timezone(timedelta(hours=7))
SNIPPET_CHARS = 160
# The FTS5 virtual table has no model: it is created by the migration.
_FTS = table("articles_fts", column("rowid"))
# PostgreSQL only (migration 0006), so no model column: a generated tsvector that
# phrase rechecks read instead of re-parsing search_text per row.
_VECTOR = literal_column("articles.search_vector")


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
    # How many of the query's units typed with diacritics the article holds verbatim, in sequence.
    exact: int
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


def exact_flags(haystack: str | None, needles: str) -> str:
    """SQLite function ``pn_exact``: "1" or "0" per needle, found verbatim in haystack or
    not (lower case, either tone placement). ``needles`` as ``_encode`` writes them:
    U+001F between needles, U+001E between alternatives, U+001D between the strings
    an alternative needs, U+001C between the spellings of one string."""
    text = unicodedata.normalize("NFC", haystack or "").casefold()
    return "".join("1" if any(all(any(s in text for s in part.split("\x1c")) for part in alt.split("\x1d"))
                               for alt in needle.split("\x1e"))
                   else "0" for needle in needles.split("\x1f"))


def _encode(needles: list[Needle]) -> str:
    return "\x1f".join("\x1e".join("\x1d".join("\x1c".join(tone_spellings(part)) for part in alt)
                                   for alt in n.alternatives) for n in needles)


def _exact_column(dialect: str, needles: list[Needle]) -> ColumnElement[str]:
    if not needles:
        return literal_column("''")
    haystack = (func.coalesce(Article.title, "") + "\n" + func.coalesce(Article.summary, "") + "\n"
                + func.coalesce(Article.text, ""))
    if dialect == "sqlite":
        # SQLite's lower() is ASCII-only; the engine registers this Python function.
        return func.pn_exact(haystack, _encode(needles))
    # PostgreSQL's lower() is Unicode-aware in a UTF-8 database (C.UTF-8 or a real locale).
    folded = func.lower(haystack)
    flags: list[ColumnElement[str]] = []
    for i, needle in enumerate(needles):
        found = or_(*(and_(*(or_(*(func.strpos(folded, bindparam(f"needle_{i}_{j}_{k}_{n}", spelling)) > 0
                                   for n, spelling in enumerate(tone_spellings(part))))
                             for k, part in enumerate(alt)))
                      for j, alt in enumerate(needle.alternatives)))
        flags.append(case((found, "1"), else_="0"))
    return func.concat(*flags)


class _Exact(NamedTuple):
    """What of the query an article holds verbatim."""

    sequences: int  # units found in sequence as typed
    words: int  # diacritic words found
    as_typed: bool  # see _exactness


def _exactness(query: ParsedQuery, flags: str, level: int) -> _Exact:
    """Read ``pn_exact``'s flags. An article holds the query as typed when each unit typed
    with diacritics is there: in sequence for a match in the PHRASE tier, with all its
    words for a NEAR or PAIR match (an APART match never is). So "của khâu" does not
    answer "cửa khẩu", nor "đã nâng" "Đà Nẵng", but "Da Nang" written without marks does.
    An OR query is not held to its diacritics: the flags cannot say which clause matched."""
    found = {(n.kind, n.unit) for n, flag in zip(query.needles, flags, strict=False) if flag == "1"}
    units = {n.unit for n in query.needles if n.unit >= 0} if len(query.clauses) == 1 else set()
    kind = SEQUENCE if level == PHRASE or not query.graded else WORDS
    held = all((kind, u) in found for u in units)
    return _Exact(sum(1 for k, _ in found if k == SEQUENCE), sum(1 for k, _ in found if k == WORD),
                  level != APART and held if query.graded else held)


def placement(title: str | None, summary: str | None, units: list[str]) -> int:
    """Where the folded units are: each one in the title counts 2, in the lead 1."""
    def padded(text: str | None) -> str:
        return " " + " ".join(TOKEN.findall(fold(text or ""))) + " "

    head, lead = padded(title), padded(summary)
    return sum(2 * (f" {u} " in head) + (f" {u} " in lead) for u in units)


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


class SearchHits(list[SearchHit]):
    """One page of hits, and what the whole result is like."""

    # Matches of the listed tiers, exact when ``total_exact``, else a lower bound.
    total: int = 0
    total_exact: bool = True
    # Only articles with ids up to this were searched; pass it back for the next page.
    as_of: int | None = None
    # No article holds the query as typed (see _exactness): these hold its syllables
    # apart, or words that fold onto it ("của khâu" for "cửa khẩu").
    loose: bool = False
    # Set when a query of very common words searched only this many newest articles.
    newest_only: int | None = None


class _Scope(NamedTuple):
    """What every tier's SQL shares: the filters, the newest id searched and the lowest."""

    indexed: list[ColumnElement[bool]]
    by_row: list[ColumnElement[bool]]
    as_of: int
    # Only ids above this are searched (a query of only common words); None: all.
    floor: int | None
    window: int


def _scope(session: Session, query: ParsedQuery, indexed: list[ColumnElement[bool]],
           by_row: list[ColumnElement[bool]], as_of: int | None, dated: bool, window: int) -> _Scope:
    """``dated``: a --since/--until range is asked for. Ids follow insertion, not
    publication, so the newest-ids bound could hide every article of an older range:
    a dated query is never bounded."""
    newest = as_of if as_of is not None else session.scalar(select(func.max(Article.id))) or 0
    floor = None
    if session.get_bind().dialect.name == "sqlite" and not dated and newest > SCAN_ROWS:
        samples = [
            select(func.count()).select_from(_FTS).where(
                literal_column("articles_fts").op("MATCH")(f'"{term}"'), _FTS.c.rowid > newest - DF_SAMPLE,
                _FTS.c.rowid <= newest).scalar_subquery()
            for term in query.terms
        ]
        counts = session.execute(select(*samples)).one()
        scale = max(1.0, newest / DF_SAMPLE)
        if all(count * scale >= COMMON_DF for count in counts):
            floor = newest - SCAN_ROWS
    return _Scope(indexed, by_row, newest, floor, window)


def _tier_match(dialect: str, query: ParsedQuery, level: int, higher: int | None) -> ColumnElement[bool]:
    """Documents holding ``query`` at ``level`` but not at the tier above it."""
    if dialect == "sqlite":
        text = f"({fts5_match(query, level)})"
        if higher is not None:
            text += f" NOT ({fts5_match(query, higher)})"
        return literal_column("articles_fts").op("MATCH")(text)
    text = f"({tsquery_text(query, level)})"
    if higher is not None:
        text += f" & !({tsquery_text(query, higher)})"
    return _VECTOR.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), text))


def _tier_ids(session: Session, match: ColumnElement[bool], scope: _Scope) -> list[int]:
    """The ids of the newest ``scope.window`` matches up to ``scope.as_of``."""
    if session.get_bind().dialect.name != "sqlite":
        stmt = select(Article.id).where(match, Article.id <= scope.as_of, *scope.indexed, *scope.by_row)
        return list(session.scalars(stmt.order_by(Article.id.desc()).limit(scope.window)))
    if scope.floor is not None:
        return _newest_ids(session, match, scope)
    stmt = select(_FTS.c.rowid).where(match, _FTS.c.rowid <= scope.as_of)
    if scope.indexed or scope.by_row:
        stmt = stmt.join(Article, Article.id == _FTS.c.rowid).where(*scope.indexed, *scope.by_row)
    return list(session.scalars(stmt.order_by(_FTS.c.rowid.desc()).limit(scope.window)))


def _newest_ids(session: Session, match: ColumnElement[bool], scope: _Scope) -> list[int]:
    """The newest matching ids in (floor, as_of], read slice by slice from the top.

    Each slice is read in ascending order: FTS5 scanning downwards ignores a lower
    rowid bound until it meets a match (a phrase with no match read the whole
    index), while upwards it starts at the bound and reads on to the newest id.
    """
    found: list[int] = []
    top, width, floor = scope.as_of, FIRST_SLICE, scope.floor or 0
    while top > floor and len(found) < scope.window:
        bottom = max(floor, top - width)
        # Materialized so the filters are checked on the slice's matches: left to
        # itself, SQLite walked a filter's index and re-ran MATCH per row (2 s a query).
        hits = (select(_FTS.c.rowid.label("id")).where(match, _FTS.c.rowid > bottom, _FTS.c.rowid <= top)
                .cte("slice").prefix_with("MATERIALIZED"))
        stmt = select(hits.c.id)
        if scope.indexed:
            # Answered from the filter columns' indexes over the slice's id range:
            # fetching the article row of every match took 29 ms for 20k ids, this 6 ms.
            in_range = select(Article.id).where(*scope.indexed, Article.id > bottom, Article.id <= top)
            stmt = stmt.where(hits.c.id.in_(in_range))
        if scope.by_row:
            stmt = stmt.join(Article, Article.id == hits.c.id).where(*scope.by_row)
        got = list(session.scalars(stmt.order_by(hits.c.id.desc()).limit(scope.window - len(found))))
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


class _Candidate(NamedTuple):
    level: int
    id: int


def _candidates(session: Session, query: ParsedQuery, scope: _Scope, levels: list[int],
                higher: int | None = None) -> tuple[list[_Candidate], bool]:
    """Each tier's newest matches (below the tier ``higher``), each id in its best tier,
    and whether some tier's window was full (the total is then a lower bound)."""
    dialect = session.get_bind().dialect.name
    found: list[_Candidate] = []
    full = False
    for level in levels:
        ids = _tier_ids(session, _tier_match(dialect, query, level, higher), scope)
        found += [_Candidate(level, i) for i in ids]
        full = full or len(ids) >= scope.window
        higher = level
    return found, full


class _Ranked(NamedTuple):
    id: int
    level: int
    exact: _Exact


_Keyed = tuple[tuple[Any, ...], _Ranked]


def _ranked(session: Session, query: ParsedQuery, found: list[_Candidate], include_flagged: bool) -> list[_Keyed]:
    """The candidates with their sort keys, best first; flagged rows dropped unless asked for."""
    level = {c.id: c.level for c in found}
    flags = _exact_column(session.get_bind().dialect.name, query.needles).label("flags")
    units = [" ".join(u.tokens) for u in query.units]
    keyed = []
    for chunk in _chunks(list(level), 2000):
        stmt = select(Article.id, Article.title, Article.summary, Article.published_at,
                      Article.encoding_confidence, flags).where(Article.id.in_(chunk))
        for row in session.execute(stmt):
            if row.encoding_confidence is not None and not include_flagged:
                continue
            exact = _exactness(query, row.flags, level[row.id])
            published = row.published_at.timestamp() if row.published_at else float("-inf")
            keyed.append(((level[row.id], exact.as_typed, exact.sequences, exact.words,
                           placement(row.title, row.summary, units), published, row.id),
                          _Ranked(row.id, level[row.id], exact)))
    keyed.sort(reverse=True)
    return keyed


def _chunks(values: list[int], size: int) -> list[list[int]]:
    return [values[i:i + size] for i in range(0, len(values), size)]


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
    indexed = filters(outlet=outlet, since=since, until=until, province=province, section=section)
    by_row = filters(author=author)  # authors_key has no index: it is read from the row
    scope = _scope(session, parsed, indexed, by_row, as_of, since is not None or until is not None,
                   max(RANK_WINDOW, offset + limit))
    found, full = _candidates(session, parsed, scope, _tiers(parsed))
    keyed = _ranked(session, parsed, found, include_flagged)
    ranked = [r for _, r in keyed if r.exact.as_typed]
    if not ranked:
        # Nothing holds the query as typed: every match, best first, and say so.
        if parsed.graded:
            scattered, apart_full = _candidates(session, parsed, scope, [APART], higher=_tiers(parsed)[-1])
            keyed = sorted(keyed + _ranked(session, parsed, scattered, include_flagged), reverse=True)
            full = full or apart_full
        ranked = [r for _, r in keyed]
        hits.loose = bool(ranked)
    hits.total, hits.total_exact, hits.as_of = len(ranked), not full, scope.as_of
    if scope.floor is not None:
        hits.newest_only = SCAN_ROWS
    page = ranked[offset:offset + limit]
    stmt = select(*_HIT_COLUMNS).where(Article.id.in_([r.id for r in page]))
    rows = {row.id: row for row in session.execute(stmt)}
    tier = _tier_names(parsed)
    hits.extend(_hit(rows[r.id], parsed, tier[r.level], r.exact.sequences) for r in page if r.id in rows)
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
    match = _tier_match(dialect, parsed, APART, None)
    if dialect == "sqlite":
        return select(_FTS.c.rowid.label("id")).where(match)
    return select(Article.id.label("id")).where(match)


_HIT_COLUMNS = [Article.id, Article.outlet, Article.url, Article.title, Article.text, Article.published_at,
                Article.published_offset_minutes]


def _hit(row: Row[Any], query: ParsedQuery, match: str, exact: int) -> SearchHit:
    snippet, spans = make_snippet(row.text or row.title or "", query.terms, runs=[u.tokens for u in query.units])
    return SearchHit(
        id=row.id, outlet=row.outlet, url=row.url, title=row.title,
        published_at=local_datetime(row.published_at, row.published_offset_minutes),
        match=match, exact=exact, snippet=snippet, highlights=spans,
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
