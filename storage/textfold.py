"""Folding: the lower-case, accent-free form that search indexes and queries share.

``fold("Lạng Sơn") == "lang son"``; the search index, the filter keys and every
query go through the same function, so diacritics are optional everywhere.
"""

from __future__ import annotations

import re
import unicodedata


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


def _pairs(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(0, len(text), 2)]


def tone_spellings(text: str) -> list[str]:
    """``text`` in every placement of its tone marks: "hòa bình" -> ["hòa bình", "hoà bình"].

    Searching for each spelling of the needle spares rewriting every article's text.
    Only the first MAX_TONE_VARIANTS marks vary (2**4 spellings at most)."""
    spellings = [""]
    last = 0
    for _, match in zip(range(MAX_TONE_VARIANTS), _TONE_PAIRS.finditer(text), strict=False):
        pair = match.group()
        both = [pair, _SWAP[pair]]
        spellings = [s + text[last:match.start()] + p for s in spellings for p in both]
        last = match.end()
    return [s + text[last:] for s in spellings]


def has_diacritics(text: str) -> bool:
    return fold(text) != " ".join(text.casefold().split())


# The new ("hoà", "thuỷ") and old ("hòa", "thủy") places of the tone mark spell the
# same word; outlets use both. Exact-diacritics ranking looks for both spellings.
TONE_PLACEMENT = {
    new: old
    for marks_new, marks_old in (("oàoáoảoãoạ", "òaóaỏaõaọa"), ("oèoéoẻoẽoẹ", "òeóeỏeõeọe"), ("uỳuýuỷuỹuỵ", "ùyúyủyũyụy"))
    for new, old in zip(_pairs(marks_new), _pairs(marks_old), strict=True)
}
MAX_TONE_VARIANTS = 4
_SWAP = {**TONE_PLACEMENT, **{old: new for new, old in TONE_PLACEMENT.items()}}
_TONE_PAIRS = re.compile("|".join(_SWAP))
