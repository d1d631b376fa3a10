"""Bytes → NFC text for Vietnamese pages: BOM, then the HTTP header, then the page's
meta charset, then detection; whatever the source, the text comes out NFC.

Order: BOM → HTTP header charset → ``<meta charset>`` in the first 4 KiB →
strict UTF-8 → a guess among the encodings a Vietnamese page can plausibly be in,
scored by how Vietnamese the decoded text looks. The result is NFC, because
windows-1258 encodes tone marks as combining characters.

Never raises: every byte string decodes to *something*, with ``errors="replace"``
as the last resort, and the caller learns how via ``source`` and ``mojibake``.
Labels that disagree (the header with the ``<meta>``, or either with a body that
is clean UTF-8) are reported in ``conflict``, e.g. ``"http=cp1252,body=utf-8"``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes

META_SCAN_BYTES = 4096

# The candidates when nothing is declared. windows-1258 comes first: it is the
# legacy Vietnamese code page, and on a tie it is the likelier one here.
GUESS_ENCODINGS = ("windows-1258", "cp1252", "latin-1")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I
)

# CP1252 read of UTF-8 Vietnamese: "á»" (U+1Exx), "Æ°" (ư), "Ä‘" (đ), "â€" (quotes),
# "Ã" followed by a Latin-1 symbol (à, á, â …). A lone "Ã" is a real Vietnamese letter.
# Characters XML cannot hold (C0 controls but tab, LF, CR; U+FFFE, U+FFFF): lxml refuses
# to put them in a tree, so a page carrying one (a stray backspace, say) must lose them
# here rather than fail extraction half-way (found by the D7 property test).
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MOJIBAKE = re.compile("á»|áº|Æ°|Æ¡|Ä‘|Ä\u0090|â€|Ã[\u00a0-\u00bf]")

# Vietnamese letters with diacritics (lower case; compared after casefold).
_VI_LETTERS = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
)
# Very frequent Vietnamese words that carry diacritics: a wrong code page never
# produces them, so counting them separates windows-1258 from cp1252 reliably.
_VI_COMMON = frozenset(
    "của và được người những các có trong đã với cho không này để là một năm đến "
    "tỉnh việt công đồng chính thực hiện tại về nhiều từ ngày đó học phát triển "
    "trên dân thể hội sẽ khi hoạt động nước số lại ra như cũng đây thành đầu tư "
    "xã huyện thị bộ cấp đảng ủy quản lý giáo dục kinh tế nhân".split()
)
_WORD = re.compile(r"\w+")


# Pages typed with the pre-Unicode Vietnamese fonts decode "cleanly" into Latin-1
# letters no charset detector can tell apart, so they are recognised by words: the
# commonest Vietnamese words as those fonts spell them (TCVN3/ABC: "cña" for "của";
# VNI: "cuûa"). Converting needs the font tables; we flag, so nothing is stored as if
# it were readable Vietnamese.
_LEGACY_WORDS = {
    "tcvn3": frozenset("cña vµ ®−îc ng−êi nh÷ng c¸c ®· víi kh«ng nµy ®Õn tØnh viÖt ®ång".split()),
    "vni": frozenset("cuûa vaø ñöôïc ngöôøi nhöõng caùc ñaõ vôùi khoâng naøy ñeán tænh vieät ñoàng".split()),
}
_LEGACY_MIN_WORDS = 3


@dataclass
class DecodedPage:
    text: str
    encoding: str
    source: str  # "bom", "http", "meta", "utf-8" or "detected"
    mojibake: bool = False
    legacy_font: str | None = None  # "tcvn3" or "vni": typed in a pre-Unicode font
    conflict: str | None = None  # labels that disagree, "http=…,meta=…" (see the module docstring)


def legacy_font(text: str) -> str | None:
    """"tcvn3" or "vni" when the text reads like one of the legacy font encodings."""
    words = set(text.lower().split())
    for name, signature in _LEGACY_WORDS.items():
        if len(words & signature) >= _LEGACY_MIN_WORDS:
            return name
    return None


def decode_html(body: bytes, content_type: str | None = None) -> DecodedPage:
    """Decode ``body`` following the order in the module docstring; never raises."""
    conflict = None
    try:
        encoding, source = _choose_encoding(body, content_type)
        conflict = _label_conflict(body, content_type, encoding)
        text = _decode(body, encoding)
    except Exception:  # noqa: BLE001 - the contract is "never raise on bytes"
        encoding, source = "utf-8", "detected"
        text = body.decode("utf-8", errors="replace")
    # Stripped before NFC: a removal can bring together a pair that composes.
    text = unicodedata.normalize("NFC", _NOT_XML_CHARS.sub("", text))
    return DecodedPage(text, encoding, source, bool(_MOJIBAKE.search(text)), legacy_font(text), conflict)


def _label_conflict(body: bytes, content_type: str | None, used: str) -> str | None:
    """The disagreeing labels, and what the body turned out to be, or None."""
    labels = {"http": _header_charset(content_type), "meta": _meta_charset(body[:META_SCAN_BYTES])}
    declared = {where: name for where, name in labels.items() if name}
    if set(declared.values()) <= {used}:
        return None
    return ",".join([f"{where}={name}" for where, name in declared.items()] + [f"body={used}"])


def _choose_encoding(body: bytes, content_type: str | None) -> tuple[str, str]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, "bom"
    # Only non-ASCII UTF-8 is evidence against a label; ASCII is valid in all of them.
    clean_utf8 = not body.isascii() and _is_strict_utf8(body)
    declared = _header_charset(content_type)
    if declared:
        return _unless_clean_utf8(declared, clean_utf8, "http")
    declared = _meta_charset(body[:META_SCAN_BYTES])
    if declared:
        return _unless_clean_utf8(declared, clean_utf8, "meta")
    if body.isascii() or clean_utf8:
        return "utf-8", "utf-8"
    return _guess(body), "detected"


def _unless_clean_utf8(declared: str, clean_utf8: bool, source: str) -> tuple[str, str]:
    # Servers and templates often claim ISO-8859-1 for UTF-8 pages. Non-ASCII bytes
    # that form valid UTF-8 by accident are vanishingly rare in real legacy text, so
    # a body that is clean UTF-8 is UTF-8 whatever the label says. Applied to the
    # meta label too: copied templates lie as often as servers do.
    if clean_utf8 and declared != "utf-8":
        return "utf-8", "utf-8"
    return declared, source


def _is_strict_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _normalise_label(label: str) -> str | None:
    """A Python codec name for a charset label, or None when unknown."""
    label = label.strip().strip("\"'").lower()
    # WHATWG: the Latin-1 labels mean windows-1252 on the web (0x80-0x9F are
    # printable there, C1 controls in ISO-8859-1).
    if label in ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return {"cp1258": "windows-1258"}.get(name, name)


def _header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return _normalise_label(match.group(1)) if match else None


def _meta_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if not match:
        return None
    name = _normalise_label(match.group(1).decode("ascii", "replace"))
    # A page we could read the meta of in ASCII is not UTF-16 (WHATWG rule).
    if name and name.startswith("utf-16"):
        return "utf-8"
    return name


def _decode(body: bytes, encoding: str) -> str:
    return body.decode(encoding, errors="replace")


def _guess(body: bytes) -> str:
    utf16 = _utf16_guess(body)
    if utf16:
        return utf16
    scored = [(vietnamese_score(_decode(body, enc)), -i, enc) for i, enc in enumerate(GUESS_ENCODINGS)]
    best = max(scored)
    if best[0] > 0:
        return best[2]
    # Nothing looks Vietnamese (no diacritics at all): let charset_normalizer pick
    # among the same candidates rather than trusting list order.
    match = from_bytes(body[:65536], cp_isolation=list(GUESS_ENCODINGS)).best()
    return _normalise_label(match.encoding) if match else GUESS_ENCODINGS[0]


def _utf16_guess(body: bytes) -> str | None:
    # BOM-less UTF-16 of mostly-ASCII markup has a NUL in every other byte.
    sample = body[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.4 * half and even_nuls < 0.1 * half:
        return "utf-16-le"
    if even_nuls > 0.4 * half and odd_nuls < 0.1 * half:
        return "utf-16-be"
    return None


def vietnamese_score(text: str) -> int:
    """How much ``text`` looks like Vietnamese: common words and well-formed
    diacritics count for it, debris of a wrong code page against it."""
    text = unicodedata.normalize("NFC", text)
    score = 0
    for word in _WORD.findall(text):
        lower = word.casefold()
        if lower in _VI_COMMON:
            score += 10
        elif any(ch in _VI_LETTERS for ch in lower):
            score += 1 if _well_formed(word) else -3
    score -= 5 * sum(1 for ch in text if "\u0080" <= ch <= "\u009f" or ch == "\ufffd")
    score -= 3 * sum(1 for ch in text if unicodedata.combining(ch))
    return score


def _well_formed(word: str) -> bool:
    # A wrongly decoded word shows an upper-case letter after a lower-case one
    # ("ngýõÌi") or letters foreign to Vietnamese ("ð", "Þ").
    for prev, ch in zip(word, word[1:]):
        if prev.islower() and ch.isupper():
            return False
    return all(ch.isascii() or ch.casefold() in _VI_LETTERS for ch in word)
