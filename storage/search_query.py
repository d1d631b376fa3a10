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
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from storage.textfold import fold, has_diacritics, tone_spellings

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
MAX_CLAUSES = 8
# "Near": every adjacent pair of a run at most this many tokens apart (FTS5
# NEAR(a b, NEAR_GAP); PostgreSQL a <1..NEAR_GAP+1> b, both orders).
NEAR_GAP = 5
# Ranking tiers of an unquoted run of several syllables, best first.
PHRASE, NEAR, PAIR, APART = 3, 2, 1, 0
LEVELS = (PHRASE, NEAR, PAIR, APART)


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


# ---- Spellings ------------------------------------------------------------------
# Each index reads a unit in its own spelling (storage.search): FOLDED, the folded
# tokens (articles_fts, search_vector); EXACT, as typed, in either tone placement, or
# with no marks at all ("Da Nang" in an English text) (articles_exact, search_exact);
# MARKED, as typed only; BARE, the folded tokens in the exact index (unmarked text); HEAD, folded but for đ (articles_head: FTS5's unicode61 folds
# every other Vietnamese mark).
FOLDED, EXACT, MARKED, BARE, HEAD = "folded", "exact", "marked", "bare", "head"
# A head query spells each d both ways; past this many spellings the rest are dropped
# (a placement key, never a match, is lost).
MAX_D_SPELLINGS = 8


def spellings(unit: Unit, spelling: str) -> list[tuple[str, ...]]:
    """The token sequences any one of which holds ``unit`` in that spelling."""
    if spelling == HEAD:
        variants: list[tuple[str, ...]] = [()]
        for token in unit.tokens:
            variants = [v + (t,) for v in variants for t in _d_spellings(token)][:MAX_D_SPELLINGS]
        return variants
    if spelling in (FOLDED, BARE) or unit.exact is None:
        return [unit.tokens]
    typed = [tuple(s.split()) for s in tone_spellings(unit.exact)]
    bare = [unit.tokens] if spelling == EXACT and len(unit.tokens) > 1 else []
    return typed + bare


def _d_spellings(token: str) -> list[str]:
    variants = [""]
    for char in token:
        variants = [v + c for v in variants for c in (("d", "đ") if char == "d" else (char,))][:MAX_D_SPELLINGS]
    return variants


# ---- Word pairs (migration 0014) -------------------------------------------------
# Vietnamese words are mostly two or three syllables, so a phrase is nearly always an
# AND of adjacent-syllable pairs. Each article's pairs are indexed as single tokens,
# with no positions: a phrase of common syllables ("phát triển bền vững") is then a
# few short doclists instead of the position lists of four of the commonest words.
# The join marks the text a pair was read from, so one index serves them all:
# FOLDED (search_text) "a_b", the exact text (title, lead and body, lower case, with
# marks) "a__b", the folded title "a___b" and the folded lead "a____b".
PAIR_JOIN = {FOLDED: "_", EXACT: "__", MARKED: "__", BARE: "__", "title": "___", "summary": "____"}


def pair_tokens(tokens: Sequence[str], join: str) -> list[str]:
    return [f"{a}{join}{b}" for a, b in pairwise(tokens)]


def pairs_ready(query: ParsedQuery) -> bool:
    """Whether the pairs answer the phrase tier: every unit has two syllables or more
    (a one-syllable unit has no pair) and nothing is excluded."""
    return all(len(u.tokens) > 1 for c in query.clauses for u in c.units) and not any(
        c.excluded for c in query.clauses)


def needs_check(query: ParsedQuery) -> bool:
    """Pairs are the phrase for two syllables; a longer unit's pairs may lie apart."""
    return any(len(u.tokens) > 2 for u in query.units)


def _pair_alternatives(unit: Unit, spelling: str) -> list[list[str]]:
    join = PAIR_JOIN[spelling]
    return [pair_tokens(t, join) for t in (spellings(unit, spelling) if join in ("_", "__") else [unit.tokens])]


def fts5_pairs(query: ParsedQuery, spelling: str) -> str:
    """articles_pairs MATCH text: the phrase tier's candidates (see needs_check)."""
    def unit(u: Unit) -> str:
        return " OR ".join("(" + " AND ".join(f'"{p}"' for p in a) + ")" for a in _pair_alternatives(u, spelling))
    return " OR ".join("(" + " AND ".join(f"({unit(u)})" for u in c.units) + ")" for c in query.clauses)


def fts5_unit_pairs(unit: Unit, column: str) -> str:
    """articles_pairs MATCH text: ``unit`` (two syllables or more) in the title or the lead."""
    return fts5_pairs(ParsedQuery((Clause((unit,)),)), column)


def tsquery_pairs(query: ParsedQuery, spelling: str) -> str:
    """``::tsquery`` text (lexemes taken as they are) for the pairs expression index."""
    def unit(u: Unit) -> str:
        return "(" + " | ".join("(" + " & ".join(f"'{p}'" for p in a) + ")"
                                for a in _pair_alternatives(u, spelling)) + ")"
    return " | ".join("(" + " & ".join(unit(u) for u in c.units) + ")" for c in query.clauses)


def document_pairs(search_text: str, title: str | None, summary: str | None, text: str | None) -> str:
    """An article's articles_pairs document (SQLite), each pair once. The exact pairs
    are read per column, as articles_exact indexes them (a phrase never spans two)."""
    pairs = set(pair_tokens(TOKEN.findall(search_text), PAIR_JOIN[FOLDED]))
    for part in (title, summary, text):
        pairs.update(pair_tokens(TOKEN.findall((part or "").lower()), PAIR_JOIN[EXACT]))
    for part, column in ((title, "title"), (summary, "summary")):
        pairs.update(pair_tokens(TOKEN.findall(fold(part or "")), PAIR_JOIN[column]))
    return " ".join(sorted(pairs))


def holds_in_sequence(query: ParsedQuery, spelling: str, texts: Sequence[Sequence[str]]) -> bool:
    """Whether a clause's every unit is, in one of its spellings, a token run of one of
    ``texts`` (token lists): the phrase check of the candidates the pairs found."""
    joined = [" " + " ".join(t) + " " for t in texts]
    return any(all(any(" " + " ".join(s) + " " in j for s in spellings(u, spelling) for j in joined)
                   for u in c.units) for c in query.clauses)


def exact_ready(query: ParsedQuery) -> bool:
    """Whether the query is held to its diacritics: one clause (an OR query is not, as
    nothing says which clause matched) whose every unit was typed with marks."""
    return len(query.clauses) == 1 and all(u.exact for u in query.units)


# ---- FTS5 ----------------------------------------------------------------------
# Tokens hold only letters and digits, so quoting them needs no escaping.


def _fts_phrase(tokens: tuple[str, ...]) -> str:
    return '"' + " ".join(tokens) + '"'


def _fts_tokens(unit: Unit, tokens: tuple[str, ...], level: int) -> str:
    if not unit.graded or level == APART:
        return _fts_phrase(tokens) if unit.quoted else " AND ".join(f'"{t}"' for t in tokens)
    if level == PHRASE:
        return _fts_phrase(tokens)
    pairs = list(pairwise(tokens))
    if level == NEAR:
        return " AND ".join(f'NEAR("{a}" "{b}", {NEAR_GAP})' for a, b in pairs)
    words = " AND ".join(f'"{t}"' for t in tokens)
    return f"({words}) AND (" + " OR ".join(_fts_phrase(p) for p in pairs) + ")"


def _fts_unit(unit: Unit, level: int, spelling: str) -> str:
    alternatives = [_fts_tokens(unit, tokens, level) for tokens in spellings(unit, spelling)]
    return alternatives[0] if len(alternatives) == 1 else " OR ".join(f"({a})" for a in alternatives)


def _fts_clause(clause: Clause, level: int, spelling: str) -> str:
    positive = " AND ".join(f"({_fts_unit(u, level, spelling)})" for u in clause.units)
    if not clause.excluded or spelling != FOLDED:
        return positive
    return f"({positive}) NOT ({fts5_excluded(clause)})"


def fts5_excluded(clause: Clause) -> str:
    """What a clause excludes, folded (an exclusion ignores diacritics in every spelling)."""
    return " OR ".join(_fts_phrase(e) for e in clause.excluded)


def fts5_match(query: ParsedQuery, level: int = APART, spelling: str = FOLDED) -> str:
    """FTS5 MATCH text for the documents holding ``query`` at ``level`` or better.

    Only the FOLDED text carries the exclusions: the other indexes hold marked tokens."""
    return " OR ".join(f"({_fts_clause(c, level, spelling)})" for c in query.clauses)


def fts5_head(unit: Unit, column: str) -> str:
    """articles_head MATCH text: the unit in sequence in ``column`` (title or summary)."""
    return f"{{{column}}} : (" + " OR ".join(_fts_phrase(t) for t in spellings(unit, HEAD)) + ")"


# ---- PostgreSQL to_tsquery('simple', …) ----------------------------------------


def _ts_phrase(tokens: tuple[str, ...], weight: str = "") -> str:
    return "(" + " <-> ".join(f"'{t}'{weight}" for t in tokens) + ")"


def _ts_near(a: str, b: str) -> str:
    # FTS5's NEAR is unordered and counts the tokens between: the same as distance
    # 1..NEAR_GAP+1 in either order.
    return "(" + " | ".join(f"'{x}' <{d}> '{y}'" for d in range(1, NEAR_GAP + 2) for x, y in ((a, b), (b, a))) + ")"


def _ts_tokens(unit: Unit, tokens: tuple[str, ...], level: int) -> str:
    if not unit.graded or level == APART:
        return _ts_phrase(tokens) if unit.quoted else "(" + " & ".join(f"'{t}'" for t in tokens) + ")"
    if level == PHRASE:
        return _ts_phrase(tokens)
    pairs = list(pairwise(tokens))
    if level == NEAR:
        return "(" + " & ".join(_ts_near(a, b) for a, b in pairs) + ")"
    words = " & ".join(f"'{t}'" for t in tokens)
    return f"({words} & (" + " | ".join(_ts_phrase(p) for p in pairs) + "))"


def _ts_unit(unit: Unit, level: int, spelling: str) -> str:
    alternatives = [_ts_tokens(unit, tokens, level) for tokens in spellings(unit, spelling)]
    return alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"


def _ts_clause(clause: Clause, level: int, spelling: str) -> str:
    parts = [_ts_unit(u, level, spelling) for u in clause.units]
    if spelling == FOLDED:
        parts += [f"!{_ts_phrase(e)}" for e in clause.excluded]
    return "(" + " & ".join(parts) + ")"


def tsquery_excluded(clause: Clause) -> str:
    return " | ".join(_ts_phrase(e) for e in clause.excluded)


def tsquery_text(query: ParsedQuery, level: int = APART, spelling: str = FOLDED) -> str:
    """``to_tsquery('simple', …)`` text for the documents holding ``query`` at ``level`` or better."""
    return " | ".join(_ts_clause(c, level, spelling) for c in query.clauses)


def tsquery_head(unit: Unit, weight: str) -> str:
    """search_head: the folded unit in sequence, in the title (weight A) or the lead (B)."""
    return _ts_phrase(unit.tokens, ":" + weight)
