"""The search query language, and how it becomes FTS5 and tsquery text.

Documented operators, nothing else: words, ``"a quoted phrase"``, ``OR`` (upper
case, between words) and ``-word`` / ``-"a phrase"`` (exclude). Everything else the
user types is text: ``*``, ``NEAR``, ``:``, ``(`` and a stray ``"`` are searched for
(or dropped as punctuation), because each token is re-quoted here and holds only
letters and digits, so user input can never become FTS syntax or raise a syntax error.

Vietnamese words are one to four syllables, written apart ("cửa khẩu", "Đà Nẵng").
Unquoted words typed together form a *run*; a run of several syllables ranks
documents by how closely they hold it (``LEVELS``): in sequence, near each other,
with at least one adjacent pair, or only scattered.

Why no word segmenter: pyvi 0.1.1 (CRF, the model ships in the wheel, so it works
offline) was measured on the 92 mirror articles: it installs 334 MB with its
dependencies (scikit-learn, SciPy, NumPy; pyvi itself 29 MB), takes 1.9 s to import
and segments 64,000 syllables/s, i.e. about 10 ms for an average article, more than
the whole store pipeline spends on one; 1M articles would cost some 3 CPU hours. It
also cannot segment what people type without diacritics ("cua khau" stays two words,
"lang son" becomes one), so folded queries would miss compounds indexed with marks.
The tiers give the ranking a segmenter would (a compound is adjacent syllables) at no
indexing cost; the judged set (bench/search.py) measures it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from storage.textfold import fold, has_diacritics

# unicode61 treats letters and digits as token characters and everything else
# (including "_") as a separator; this regex mirrors it on the folded text.
TOKEN = re.compile(r"[^\W_]+")
# A quoted phrase (optionally negated), else a run of non-space, non-quote characters;
# an unbalanced quote matches neither and is dropped as punctuation.
_LEX = re.compile(r'(?P<neg>(?<!\S)-)?"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+)')
# A pasted page as a query must not build a huge SQL or FTS expression (SQLite
# refuses expression trees deeper than 1000): extra terms are dropped.
MAX_TERMS = 32
MAX_PHRASE_TOKENS = 64
MAX_NEEDLES = 12
MAX_CLAUSES = 8
# "Near": every adjacent pair of a run at most this many tokens apart (FTS5
# NEAR(a b, NEAR_GAP); PostgreSQL a <1..NEAR_GAP+1> b, both orders).
NEAR_GAP = 5
# Ranking tiers of an unquoted run of several syllables, best first.
PHRASE, NEAR, PAIR, APART = 3, 2, 1, 0
LEVELS = (PHRASE, NEAR, PAIR, APART)


SEQUENCE, WORDS, WORD = "sequence", "words", "word"


@dataclass(frozen=True)
class Needle:
    """Found when, for some alternative, each of its strings occurs verbatim in the article."""

    kind: str  # SEQUENCE: a unit as typed; WORDS: all its words; WORD: one word
    unit: int  # which typed unit (-1 for a WORD)
    alternatives: tuple[list[str], ...]


@dataclass(frozen=True)
class Unit:
    """One required item: a quoted phrase, or a run of unquoted words typed together."""

    tokens: tuple[str, ...]
    quoted: bool = False
    # The unit as typed (NFC, casefolded) when it has diacritics: its verbatim match ranks first.
    exact: str | None = None

    @property
    def graded(self) -> bool:
        """An unquoted run of several syllables: matches are ranked by how closely they hold it."""
        return not self.quoted and len(self.tokens) > 1


@dataclass(frozen=True)
class Clause:
    units: tuple[Unit, ...]
    excluded: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    """A query: clauses joined by OR, each a conjunction of units minus exclusions."""

    clauses: tuple[Clause, ...] = ()
    # Set when exclusions were typed but nothing to search for ("-mưa" alone).
    only_excluded: bool = False

    @property
    def empty(self) -> bool:
        return not self.clauses

    @property
    def graded(self) -> bool:
        return any(u.graded for c in self.clauses for u in c.units)

    @property
    def terms(self) -> list[str]:
        """Every folded token searched for, for snippets and the common-word probe."""
        return list(dict.fromkeys(t for c in self.clauses for u in c.units for t in u.tokens))

    @property
    def units(self) -> list[Unit]:
        return list(dict.fromkeys(u for c in self.clauses for u in c.units))

    @cached_property  # read once per candidate row while ranking
    def needles(self) -> list[Needle]:
        """What is looked for verbatim (lower case, NFC) in each match, for the units typed
        with diacritics: the unit in sequence (or written with no marks at all, "Da Nang"
        in an English text), all its words anywhere, and each word."""
        typed = [u for u in self.units if u.exact]
        needles: list[Needle] = []
        for i, unit in enumerate(typed):
            words = unit.exact.split()
            bare = ([" ".join(unit.tokens)],) if len(words) > 1 else ()
            needles += [Needle(SEQUENCE, i, ([unit.exact], *bare)), Needle(WORDS, i, (words, *bare))]
        words = [w for u in typed if len(u.tokens) > 1 for w in u.exact.split() if has_diacritics(w)]
        return (needles + [Needle(WORD, -1, ([w],)) for w in dict.fromkeys(words)])[:MAX_NEEDLES]


class _Builder:
    """Collects units into clauses while reading the query left to right."""

    def __init__(self) -> None:
        self.clauses: list[Clause] = []
        self.units: list[Unit] = []
        self.excluded: list[tuple[str, ...]] = []
        self.run: list[str] = []
        self.budget = MAX_TERMS
        self.saw_exclusion = False

    def _take(self, tokens: list[str], cap: int) -> tuple[str, ...]:
        kept = tokens[:min(cap, self.budget)]
        self.budget -= len(kept)
        return tuple(kept)

    def word(self, raw: str) -> None:
        self.run.append(raw)

    def end_run(self) -> None:
        typed = " ".join(self.run)
        self.run = []
        tokens = self._take(TOKEN.findall(fold(typed)), MAX_PHRASE_TOKENS)
        if tokens:
            self.units.append(Unit(tokens, False, _exact(typed, tokens)))

    def phrase(self, raw: str) -> None:
        self.end_run()
        tokens = self._take(TOKEN.findall(fold(raw)), MAX_PHRASE_TOKENS)
        if tokens:
            self.units.append(Unit(tokens, len(tokens) > 1, _exact(raw, tokens)))

    def exclude(self, raw: str) -> None:
        self.end_run()
        self.saw_exclusion = True
        tokens = self._take(TOKEN.findall(fold(raw)), MAX_PHRASE_TOKENS)
        if tokens:
            self.excluded.append(tokens)

    def end_clause(self) -> None:
        self.end_run()
        units = tuple(dict.fromkeys(self.units))
        if units and len(self.clauses) < MAX_CLAUSES:
            self.clauses.append(Clause(units, tuple(dict.fromkeys(self.excluded))))
        self.units, self.excluded = [], []


def _exact(typed: str, tokens: tuple[str, ...]) -> str | None:
    """The unit as typed, casefolded, when it carries diacritics (else nothing to prefer)."""
    words = TOKEN.findall(unicodedata.normalize("NFC", typed).casefold())[:len(tokens)]
    text = " ".join(words)
    return text if words and has_diacritics(text) else None


def parse_query(raw: str) -> ParsedQuery:
    """Read ``raw`` into clauses; never fails, whatever it holds."""
    build = _Builder()
    for match in _LEX.finditer(raw):
        if match.group("phrase") is not None:
            (build.exclude if match.group("neg") else build.phrase)(match.group("phrase"))
        elif match.group("word") == "OR":
            build.end_clause()
        elif match.group("word").startswith("-") and TOKEN.search(match.group("word")):
            build.exclude(match.group("word")[1:])
        else:
            build.word(match.group("word"))
    build.end_clause()
    return ParsedQuery(tuple(build.clauses), only_excluded=build.saw_exclusion and not build.clauses)


# ---- FTS5 ----------------------------------------------------------------------
# Tokens hold only letters and digits, so quoting them needs no escaping.


def _fts_phrase(tokens: tuple[str, ...]) -> str:
    return '"' + " ".join(tokens) + '"'


def _fts_unit(unit: Unit, level: int) -> str:
    if not unit.graded or level == APART:
        return _fts_phrase(unit.tokens) if unit.quoted else " AND ".join(f'"{t}"' for t in unit.tokens)
    if level == PHRASE:
        return _fts_phrase(unit.tokens)
    pairs = list(zip(unit.tokens, unit.tokens[1:]))
    if level == NEAR:
        return " AND ".join(f'NEAR("{a}" "{b}", {NEAR_GAP})' for a, b in pairs)
    words = " AND ".join(f'"{t}"' for t in unit.tokens)
    return f"({words}) AND (" + " OR ".join(_fts_phrase(p) for p in pairs) + ")"


def _fts_clause(clause: Clause, level: int) -> str:
    positive = " AND ".join(f"({_fts_unit(u, level)})" for u in clause.units)
    if not clause.excluded:
        return positive
    return f"({positive}) NOT (" + " OR ".join(_fts_phrase(e) for e in clause.excluded) + ")"


def fts5_match(query: ParsedQuery, level: int = APART) -> str:
    """FTS5 MATCH text for the documents holding ``query`` at ``level`` or better."""
    return " OR ".join(f"({_fts_clause(c, level)})" for c in query.clauses)


# ---- PostgreSQL to_tsquery('simple', …) ----------------------------------------


def _ts_phrase(tokens: tuple[str, ...]) -> str:
    return "(" + " <-> ".join(f"'{t}'" for t in tokens) + ")"


def _ts_near(a: str, b: str) -> str:
    # FTS5's NEAR is unordered and counts the tokens between: the same as distance
    # 1..NEAR_GAP+1 in either order.
    return "(" + " | ".join(f"'{x}' <{d}> '{y}'" for d in range(1, NEAR_GAP + 2) for x, y in ((a, b), (b, a))) + ")"


def _ts_unit(unit: Unit, level: int) -> str:
    if not unit.graded or level == APART:
        return _ts_phrase(unit.tokens) if unit.quoted else "(" + " & ".join(f"'{t}'" for t in unit.tokens) + ")"
    if level == PHRASE:
        return _ts_phrase(unit.tokens)
    pairs = list(zip(unit.tokens, unit.tokens[1:]))
    if level == NEAR:
        return "(" + " & ".join(_ts_near(a, b) for a, b in pairs) + ")"
    words = " & ".join(f"'{t}'" for t in unit.tokens)
    return f"({words} & (" + " | ".join(_ts_phrase(p) for p in pairs) + "))"


def _ts_clause(clause: Clause, level: int) -> str:
    parts = [_ts_unit(u, level) for u in clause.units] + [f"!{_ts_phrase(e)}" for e in clause.excluded]
    return "(" + " & ".join(parts) + ")"


def tsquery_text(query: ParsedQuery, level: int = APART) -> str:
    """``to_tsquery('simple', …)`` text for the documents holding ``query`` at ``level`` or better."""
    return " | ".join(_ts_clause(c, level) for c in query.clauses)
