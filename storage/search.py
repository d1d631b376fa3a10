"""Diacritic-insensitive full-text search over stored articles.

Both backends index the same column, ``articles.search_text`` = ``fold(title,
summary, text)``, and both receive the user's query folded by the same Python
``fold``, so "lang son", "Lạng Sơn" and "LẠNG SƠN" find the same articles on
SQLite (FTS5 external-content table ``articles_fts``) and PostgreSQL (GIN index
on the stored ``articles.search_vector`` = ``to_tsvector('simple', search_text)``,
migration 0006).

User input never reaches the FTS grammar: the query is parsed here into quoted
phrases and literal tokens, each re-quoted, so ``"``, ``*``, ``NEAR``, ``-``,
``:`` and ``(`` are searched for as text (or dropped as punctuation) and can
never raise a syntax error.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    bindparam,
    case,
    column,
    false,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Article, local_datetime

VIETNAM = timezone(timedelta(hours=7))
# unicode61 treats letters and digits as token characters and everything else
# (including "_") as a separator; this regex mirrors it on the folded text.
_TOKEN = re.compile(r"[^\W_]+")
_PHRASE = re.compile(r'"([^"]*)"')
SNIPPET_CHARS = 160
# A pasted page as a query must not build a huge SQL or FTS expression (SQLite
# refuses expression trees deeper than 1000): extra terms are dropped.
MAX_TERMS = 32
MAX_PHRASE_TOKENS = 64
MAX_NEEDLES = 8
# The FTS5 virtual table has no model: it is created by the migration.
_FTS = table("articles_fts", column("rowid"))
_SIMPLE = literal_column("'simple'::regconfig")
# PostgreSQL only (migration 0006), so no model column: a generated tsvector that
# phrase rechecks and ts_rank read instead of re-parsing search_text per row.
_VECTOR = literal_column("articles.search_vector")


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text))
    # đ/Đ are letters of their own, not d + a combining mark, so NFD keeps them.
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("đ", "d").replace("Đ", "d")
    return stripped.casefold()


class _FoldTable(dict[int, str]):
    """str.translate table filled on first sight of each character: its folded form.

    Folding is per character after NFC (NFD, dropping combining marks and
    casefolding all work character by character), so translating the NFC text
    through this table equals the slow definition, at C speed.
    """

    def __missing__(self, ordinal: int) -> str:
        char = chr(ordinal)
        folded = " " if char.isspace() else _fold_slow(char)
        self[ordinal] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, accent-free, whitespace-collapsed form used for indexing and queries."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_FOLD).split())


def search_text(*parts: str | None) -> str:
    """The value stored in ``articles.search_text``."""
    return fold("\n".join(p for p in parts if p))


def has_diacritics(text: str) -> bool:
    return fold(text) != " ".join(text.casefold().split())


@dataclass(frozen=True)
class ParsedQuery:
    """A user query split into folded phrases (lists of tokens) and folded tokens."""

    phrases: list[list[str]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    # Folded free text outside the quotes, for PostgreSQL's own parser.
    loose_text: str = ""
    # Unfolded, casefolded needles for the exact-diacritics boost.
    needles: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.phrases and not self.tokens

    @property
    def terms(self) -> list[str]:
        """Every folded token, phrases first, for snippet highlighting."""
        return [t for p in self.phrases for t in p] + self.tokens


def _unique(items: list[str], limit: int) -> list[str]:
    """First ``limit`` distinct items in order; repeating a word adds nothing to an AND query."""
    return list(dict.fromkeys(items))[:limit]


def parse_query(raw: str) -> ParsedQuery:
    """Split on balanced double quotes; a stray quote is plain punctuation."""
    phrases: list[list[str]] = []
    needles: list[str] = []
    loose_parts: list[str] = []
    for match in _PHRASE.finditer(raw):
        words = _TOKEN.findall(fold(match.group(1)))[:MAX_PHRASE_TOKENS]
        if len(words) == 1:
            loose_parts.append(match.group(1))  # a one-word "phrase" is just a token
        elif words:
            phrases.append(words)
            if has_diacritics(match.group(1)):
                needles.append(" ".join(match.group(1).casefold().split()))
    loose = " ".join([_PHRASE.sub(" ", raw), *loose_parts])
    tokens = _unique(_TOKEN.findall(fold(loose)), MAX_TERMS)
    phrases = [list(p) for p in dict.fromkeys(tuple(p) for p in phrases)][: max(0, MAX_TERMS - len(tokens))]
    words = _TOKEN.findall(unicodedata.normalize("NFC", loose).casefold())
    needles = _unique(needles + [w for w in words if has_diacritics(w)], MAX_NEEDLES)
    return ParsedQuery(phrases=phrases, tokens=tokens, loose_text=" ".join(tokens), needles=needles)


def fts5_match(query: ParsedQuery) -> str:
    """FTS5 MATCH string: every phrase and token a double-quoted literal, ANDed."""
    parts = ['"' + " ".join(p) + '"' for p in query.phrases] + [f'"{t}"' for t in query.tokens]
    # Tokens hold only letters and digits, so they cannot contain a quote to escape.
    return " ".join(parts)


@dataclass
class SearchHit:
    id: int
    outlet: str | None
    url: str
    title: str | None
    published_at: datetime | None
    score: float
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


def count_needles(haystack: str | None, needles: str) -> int:
    """SQLite function ``pn_exact``: how many of the U+001F-separated needles occur in haystack."""
    folded = unicodedata.normalize("NFC", haystack or "").casefold()
    return sum(1 for needle in needles.split("\x1f") if needle and needle in folded)


def _exact_score(dialect: str, needles: list[str]) -> ColumnElement[int]:
    """How many diacritic needles occur verbatim (case-insensitively) in title or text."""
    if not needles:
        return literal_column("0")
    haystack = func.coalesce(Article.title, "") + " " + func.coalesce(Article.text, "")
    if dialect == "sqlite":
        # SQLite's lower() is ASCII-only; the engine registers this Python function.
        return func.pn_exact(haystack, "\x1f".join(needles))
    # PostgreSQL's lower() is Unicode-aware in a UTF-8 database (C.UTF-8 or a real locale).
    folded = func.lower(haystack)
    score: ColumnElement[int] = literal_column("0")
    for i, needle in enumerate(needles):
        score = score + case((func.strpos(folded, bindparam(f"needle_{i}", needle)) > 0, 1), else_=0)
    return score


# Ranking every match of a common word is what made search slow at 1M rows
# (bench/storage.py). Two costs, both measured there:
# - bm25() first reads the whole doclist of every query term to weigh it (IDF):
#   ~60 ms for "lạng sơn" at 1M rows even with LIMIT 10;
# - then it scores each match.
# So on SQLite, a query with a common term (in more than COMMON_DF documents)
# is ranked without bm25: by how many of its words and phrases are in the
# title, among its newest BROAD_WINDOW matches. Other queries get bm25 over
# their newest WINDOW matches (all of them, unless the query is broad). The
# exact-diacritics boost and the recency tie-break then reorder the best CANDIDATES.
WINDOW = 5000
BROAD_WINDOW = 300
COMMON_DF = 50_000
CANDIDATES = 100
# The probe counts a term's matches among the newest DF_SAMPLE articles and
# scales that to the whole table: counting up to COMMON_DF postings took
# 15-30 ms a term at 1M rows, the sample 0.5 ms. An estimate near the threshold
# may fall either side; that picks the ranking, never which articles match.
DF_SAMPLE = 5000
# When every term is common, no short doclist bounds the work: a phrase of
# common words with no match read every position list (150 ms for
# "ban thường vụ" at 1M rows). Such a query searches the newest SCAN_ROWS articles.
SCAN_ROWS = 100_000
# ... in id slices from the top, the first FIRST_SLICE ids wide (see _next_width).
FIRST_SLICE = 2000
# PostgreSQL ranks the newest PG_WINDOW matches (see _postgres_candidates).
PG_WINDOW = 1000


@dataclass(frozen=True)
class _Plan:
    """How SQLite runs one query: bm25 or title ranking, and whether only the newest ids are searched."""

    broad: bool
    newest: int = 0
    # Only ids above this are searched; None searches every article.
    floor: int | None = None


class SearchHits(list[SearchHit]):
    """The hits of one search; ``newest_only`` is the number of newest articles searched
    when a query of very common words was bounded (SCAN_ROWS), else None."""

    newest_only: int | None = None


def _plan(session: Session, query: ParsedQuery, dated: bool) -> _Plan:
    """``dated``: a --since/--until range is asked for. Ids follow insertion, not
    publication, so the newest-ids bound could hide every article of an older range:
    a dated query is never bounded."""
    terms = list(dict.fromkeys(query.terms))
    # One statement: the newest id, then each term's matches above newest - DF_SAMPLE.
    newest_id = select(func.max(Article.id)).scalar_subquery()
    samples = [
        select(func.count()).select_from(_FTS).where(
            literal_column("articles_fts").op("MATCH")(f'"{term}"'), _FTS.c.rowid > newest_id - DF_SAMPLE
        ).scalar_subquery()
        for term in terms
    ]
    newest, *counts = session.execute(select(newest_id, *samples)).one()
    newest = newest or 0
    scale = max(1.0, newest / DF_SAMPLE)
    common = [count * scale >= COMMON_DF for count in counts]
    floor = max(0, newest - SCAN_ROWS) if all(common) and not dated else None
    return _Plan(broad=any(common), newest=newest, floor=floor)


def _newest_ids(session: Session, match: ColumnElement[bool], indexed: list[ColumnElement[bool]],
                by_row: list[ColumnElement[bool]], newest: int, floor: int) -> list[int]:
    """The newest BROAD_WINDOW matching ids in (floor, newest], read slice by slice from the top.

    Each slice is read in ascending order: FTS5 scanning downwards ignores a lower
    rowid bound until it meets a match (a phrase with no match read the whole
    index), while upwards it starts at the bound and reads on to the newest id.
    """
    found: list[int] = []
    top, width = newest, FIRST_SLICE
    while top > floor and len(found) < BROAD_WINDOW:
        bottom = max(floor, top - width)
        # Materialized so the filters are checked on the slice's matches: left to
        # itself, SQLite walked a filter's index and re-ran MATCH per row (2 s a query).
        hits = (select(_FTS.c.rowid.label("id")).where(match, _FTS.c.rowid > bottom, _FTS.c.rowid <= top)
                .cte("slice").prefix_with("MATERIALIZED"))
        stmt = select(hits.c.id)
        if indexed:
            # Answered from the filter columns' indexes over the slice's id range:
            # fetching the article row of every match took 29 ms for 20k ids, this 6 ms.
            in_range = select(Article.id).where(*indexed, Article.id > bottom, Article.id <= top)
            stmt = stmt.where(hits.c.id.in_(in_range))
        if by_row:
            stmt = stmt.join(Article, Article.id == hits.c.id).where(*by_row)
        got = list(session.scalars(stmt.order_by(hits.c.id.desc()).limit(BROAD_WINDOW - len(found))))
        found += got
        top, width = bottom, _next_width(top - bottom, len(got), BROAD_WINDOW - len(found))
    return found


def _next_width(width: int, got: int, missing: int) -> int:
    """Four times as wide, or less when the last slice's density says fewer ids will do.

    Every id read costs FTS work and, with an author filter, a row lookup: for
    "du lich" by one author at 1M rows this took 20.6 ms a query, 18.0 ms sized.
    """
    if not got:
        return width * 4
    return max(1, min(width * 4, (missing * width * 5) // (got * 4)))


def _broad_window(session: Session, match: ColumnElement[bool], indexed: list[ColumnElement[bool]],
                  by_row: list[ColumnElement[bool]], plan: _Plan) -> Select:
    """The ids of the newest BROAD_WINDOW matches."""
    if plan.floor is not None:
        ids = _newest_ids(session, match, indexed, by_row, plan.newest, plan.floor)
        return select(Article.id.label("id")).where(Article.id.in_(ids))
    window = select(_FTS.c.rowid.label("id")).where(match)
    if indexed or by_row:
        window = window.join(Article, Article.id == _FTS.c.rowid).where(*indexed, *by_row)
    return window.order_by(_FTS.c.rowid.desc()).limit(BROAD_WINDOW)


def title_hits(title: str | None, units: str) -> int:
    """SQLite function ``pn_title_hits``: how many U+001F-separated folded words/phrases are in the title."""
    padded = " " + " ".join(_TOKEN.findall(fold(title or ""))) + " "
    return sum(1 for unit in units.split("\x1f") if unit and f" {unit} " in padded)


def _sqlite_candidates(
    session: Session, query: ParsedQuery, indexed: list[ColumnElement[bool]], by_row: list[ColumnElement[bool]],
    k: int, plan: _Plan,
) -> Select:
    match = literal_column("articles_fts").op("MATCH")(fts5_match(query))
    conditions = indexed + by_row
    if plan.broad:
        window = _broad_window(session, match, indexed, by_row, plan).subquery()
        units = "\x1f".join([" ".join(p) for p in query.phrases] + query.tokens)
        score = func.pn_title_hits(Article.title, units).label("score")
        return (select(window.c.id, score).join(Article, Article.id == window.c.id)
                .order_by(score.desc(), window.c.id.desc()).limit(k))
    # bm25() is lower-is-better; negate it so both backends sort "score desc".
    score = (-func.bm25(literal_column("articles_fts"))).label("score")
    window = select(_FTS.c.rowid.label("id"), score).where(match)
    if conditions:
        window = window.join(Article, Article.id == _FTS.c.rowid).where(*conditions)
    window = window.order_by(_FTS.c.rowid.desc()).limit(WINDOW).subquery()
    return select(window.c.id, window.c.score).order_by(window.c.score.desc()).limit(k)


def _tsquery(query: ParsedQuery) -> ColumnElement[object]:
    """Loose words and each phrase, ANDed; ``query`` must not be empty."""
    parts = [func.plainto_tsquery(_SIMPLE, query.loose_text)] if query.loose_text else []
    parts += [func.phraseto_tsquery(_SIMPLE, " ".join(phrase)) for phrase in query.phrases]
    return functools.reduce(lambda left, right: left.op("&&")(right), parts)


def _postgres_candidates(query: ParsedQuery, conditions: list[ColumnElement[bool]], k: int) -> Select:
    tsquery = _tsquery(query)
    # ts_rank detoasts a vector per row it scores, so it runs on the window only,
    # never inside the query that finds the matches (ranking every match of a
    # common word is what made broad queries slow, bench/storage.py).
    window = select(Article.id.label("id")).where(_VECTOR.op("@@")(tsquery), *conditions).order_by(
        Article.id.desc()).limit(PG_WINDOW).subquery()
    score = func.ts_rank(_VECTOR, tsquery).label("score")
    return (select(window.c.id, score).join(Article, Article.id == window.c.id)
            .order_by(score.desc(), window.c.id.desc()).limit(k))


def matching_ids(session: Session, query: str) -> Select | None:
    """A SELECT of the ids of every article matching ``query`` (no ranking), or None for an empty query."""
    parsed = parse_query(query)
    if parsed.empty:
        return None
    if session.get_bind().dialect.name == "sqlite":
        return select(_FTS.c.rowid.label("id")).where(literal_column("articles_fts").op("MATCH")(fts5_match(parsed)))
    return select(Article.id.label("id")).where(_VECTOR.op("@@")(_tsquery(parsed)))


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
    include_flagged: bool = False,
) -> SearchHits:
    """Ranked hits: exact-diacritics matches first, then relevance, then newest.

    Articles whose ``encoding_confidence`` is low (mojibake, a legacy font) are left
    out unless ``include_flagged``: they are dropped from the ranked candidates
    rather than inside the tuned candidate search, since they are rare.

    Relevance is bm25 / ts_rank over the newest ``WINDOW`` matches; on SQLite a
    query with a very common word is ranked by title matches among its newest
    ``BROAD_WINDOW`` matches instead (see COMMON_DF), and a query made only of
    very common words searches the newest ``SCAN_ROWS`` articles, unless a date range
    is given (the hits' ``newest_only`` says when it did). The boost and
    the recency tie-break reorder the ``max(CANDIDATES, 5 x limit)`` best.
    """
    parsed = parse_query(query)
    hits = SearchHits()
    if parsed.empty or limit <= 0:
        return hits
    dialect = session.get_bind().dialect.name
    indexed = filters(outlet=outlet, since=since, until=until, province=province, section=section)
    by_row = filters(author=author)  # authors_key has no index: it is read from the row
    k = max(CANDIDATES, limit * 5)
    if dialect == "sqlite":
        plan = _plan(session, parsed, dated=since is not None or until is not None)
        ranked = _sqlite_candidates(session, parsed, indexed, by_row, k, plan).subquery()
        if plan.floor:
            hits.newest_only = SCAN_ROWS
    else:
        ranked = _postgres_candidates(parsed, indexed + by_row, k).subquery()
    exact = _exact_score(dialect, parsed.needles).label("exact")
    stmt = (
        # The hit's columns only: whole rows carry JSON and the folded copy, decoded for nothing.
        select(*_HIT_COLUMNS, ranked.c.score, exact)
        .join(ranked, ranked.c.id == Article.id)
        .order_by(exact.desc(), ranked.c.score.desc(), Article.published_at.desc().nulls_last(), Article.id)
        .limit(limit)
    )
    if not include_flagged:
        stmt = stmt.where(Article.encoding_confidence.is_(None))
    hits.extend(_hit(row, parsed.terms) for row in session.execute(stmt))
    return hits


_HIT_COLUMNS = [Article.id, Article.outlet, Article.url, Article.title, Article.text, Article.published_at,
                Article.published_offset_minutes]


def _hit(row: Row[Any], terms: list[str]) -> SearchHit:
    snippet, spans = make_snippet(row.text or row.title or "", terms)
    return SearchHit(
        id=row.id, outlet=row.outlet, url=row.url, title=row.title,
        published_at=local_datetime(row.published_at, row.published_offset_minutes),
        score=float(row.score), exact=int(row.exact), snippet=snippet, highlights=spans,
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


def make_snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` around the first matched term, with spans of the terms inside it."""
    text = unicodedata.normalize("NFC", text)
    folded, mapping = _folded_with_map(text)
    index = mapping if mapping is not None else range(len(text))
    found = sorted(
        (index[m.start()], index[m.end() - 1] + 1)
        for term in set(terms)
        for m in re.finditer(rf"(?<![^\W_]){re.escape(term)}(?![^\W_])", folded)
    )
    start = max(0, found[0][0] - width // 3) if found else 0
    end = min(len(text), start + width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    spans: list[tuple[int, int]] = []
    for s, e in found:
        if s >= start and e <= end and (not spans or s >= spans[-1][1]):
            spans.append((s, e))
    shift = len(prefix) - start
    return prefix + text[start:end] + suffix, [(s + shift, e + shift) for s, e in spans]
