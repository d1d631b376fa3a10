"""Near-duplicate detection: MinHash over word shingles, LSH bands kept in SQL.

One story per event: every copy of an article (a TTXVN dispatch republished
with a ``(TTXVN) -``/``LSO-`` dateline and a byline, a mirror, a lightly edited
version) gets the ``story_id`` of the first copy stored. A story id is the id of
the article that founded it, so no extra table is needed.

Text -> tokens: NFC, then NFD with every combining mark dropped and ``đ``->``d``,
then casefolded ``\\w+`` runs. Folding makes old and new tone-mark placement agree
(``hoá``/``hóa``, ``thuỷ``/``thủy``: both occur in copies of one text) and, on
tests/dedup/pairs.json, raised no Jaccard between two different articles (the
same-topic maximum is 0.01 at k=5 folded or not; ``python -m bench.dedup``).

Shingles of ``SHINGLE`` = 5 syllables (a Vietnamese word is one or two
syllables). On the labelled set, exact Jaccard of the least similar copy /
most similar non-copy is 0.62/0.40 at k=3, 0.61/0.38 at k=5, 0.61/0.34 at k=8;
k=5 keeps the wide gap while a one-word edit still costs only 5 shingles.

MinHash: one-permutation hashing with optimal densification over ``NUM_PERM``
= 120 bins of a 64-bit BLAKE2b hash per shingle, 32 bits kept per bin (a
480-byte blob). One hash per shingle instead of 120: ~1 ms per 500 words in
pure Python, where 120 classic ``(a*x+b) mod p`` permutations took ~43 ms.
LSH: ``BANDS`` = 40 bands of ``ROWS`` = 3; a pair of Jaccard s becomes a
candidate with probability 1-(1-s^3)^40: 0.995 at s=0.5, 0.99998 at s=0.6,
0.28 at s=0.2; each candidate is then checked against ``threshold`` (default
0.5, midway between the 0.38 and 0.61 above) with the stored signature.

Storing signatures and finding candidates in SQL is ``storage.signatures``' job;
this module is the arithmetic only and imports no database code.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from crawler.core.record import fold_marks, join_paragraphs, split_paragraphs

SHINGLE = 5
NUM_PERM = 120
BANDS = 40
ROWS = NUM_PERM // BANDS
MIN_WORDS = 30
DEFAULT_THRESHOLD = 0.5
MAX_CANDIDATES = 50

_MASK32 = 0xFFFFFFFF
# For each bin, the order in which an empty bin looks for a filled one to copy.
# Derived from BLAKE2b, not from `random`, so that stored signatures stay
# comparable across Python versions.
_PROBES = [
    sorted((j for j in range(NUM_PERM) if j != i), key=lambda j, i=i: hashlib.blake2b(f"{i}:{j}".encode()).digest())
    for i in range(NUM_PERM)
]
_WORD = re.compile(r"\w+")

# --- text -> signature -----------------------------------------------------------

def tokens(text: str) -> list[str]:
    """Casefolded syllables with diacritics folded (``Đường hoá`` -> ``duong hoa``)."""
    return _WORD.findall(fold_marks(text))


def _hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")


def shingles(text: str, k: int = SHINGLE) -> set[int]:
    """64-bit hashes of every run of ``k`` tokens (the whole text when it is shorter)."""
    words = tokens(text)
    if not words:
        return set()
    if len(words) <= k:
        return {_hash64(" ".join(words))}
    return {_hash64(" ".join(words[i:i + k])) for i in range(len(words) - k + 1)}


def minhash(hashes: Iterable[int]) -> list[int]:
    """One-permutation MinHash with optimal densification (Shrivastava, ICML 2017).

    Each shingle hash falls in bin ``h % NUM_PERM`` and each bin keeps its least
    ``h // NUM_PERM``; an empty bin copies the first filled bin of its own fixed
    probe sequence, so two texts agree on a bin with probability = Jaccard, as
    with NUM_PERM independent permutations, at the cost of one hash per shingle.
    """
    bins: list[int | None] = [None] * NUM_PERM
    for h in hashes:
        i, value = h % NUM_PERM, h // NUM_PERM
        current = bins[i]
        if current is None or value < current:
            bins[i] = value
    if all(v is None for v in bins):
        return []
    out = []
    for i, value in enumerate(bins):
        if value is None:
            value = next(bins[j] for j in _PROBES[i] if bins[j] is not None)
        out.append(value & _MASK32)  # type: ignore[operator]
    return out


def signature(text: str, k: int = SHINGLE) -> list[int]:
    """``NUM_PERM`` MinHash values of the text's shingles; [] for a text without words."""
    return minhash(shingles(text, k))


def bands(sig: Sequence[int]) -> list[tuple[int, int]]:
    """(band, hash) pairs: ``BANDS`` signed 64-bit digests of ``ROWS`` values each."""
    if len(sig) != NUM_PERM:
        raise ValueError(f"a signature has {NUM_PERM} values, not {len(sig)}")
    out = []
    for band in range(BANDS):
        rows = struct.pack(f"<{ROWS}I", *sig[band * ROWS:(band + 1) * ROWS])
        digest = hashlib.blake2b(rows, digest_size=8).digest()
        out.append((band, int.from_bytes(digest, "little", signed=True)))
    return out


def estimate_similarity(sig_a: Sequence[int], sig_b: Sequence[int]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    if not sig_a or len(sig_a) != len(sig_b):
        return 0.0
    return sum(1 for a, b in zip(sig_a, sig_b) if a == b) / len(sig_a)


def jaccard(text_a: str, text_b: str, k: int = SHINGLE) -> float:
    """Exact Jaccard similarity of two texts' shingle sets (for evaluation)."""
    a, b = shingles(text_a, k), shingles(text_b, k)
    return len(a & b) / len(a | b) if a or b else 0.0


def pack(sig: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(sig)}I", *sig)


def unpack(blob: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(blob) // 4}I", blob))


def strip_known(text: str, ignore: Iterable[str]) -> str:
    """The text without paragraphs known to be boilerplate (compared folded)."""
    skip = {" ".join(tokens(p)) for p in ignore}
    if not skip:
        return text
    return join_paragraphs(p for p in split_paragraphs(text) if " ".join(tokens(p)) not in skip)


# --- revisions -------------------------------------------------------------------

def word_diff(old_text: str, new_text: str, context: int = 5) -> str:
    """A compact word-level unified diff (for ``article_versions``); "" when equal.

    Hunk headers count words: ``@@ -12,3 +12,4 @@``. Each hunk shows up to
    ``context`` words either side as `` ...`` lines, then ``-`` removed and
    ``+`` added words, each run on one line. Paragraph breaks count as ``¶``.
    """
    def words(text: str) -> list[str]:
        return " ¶ ".join(split_paragraphs(text)).split()

    a, b = words(old_text), words(new_text)
    if a == b:
        return ""
    lines = []
    for group in SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        lines.append(f"@@ -{i1 + 1},{i2 - i1} +{j1 + 1},{j2 - j1} @@")
        for tag, a1, a2, b1, b2 in group:
            if tag == "equal":
                lines.append(" " + " ".join(a[a1:a2]))
                continue
            if a2 > a1:
                lines.append("-" + " ".join(a[a1:a2]))
            if b2 > b1:
                lines.append("+" + " ".join(b[b1:b2]))
    return "\n".join(lines)
