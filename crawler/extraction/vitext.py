"""Vietnamese text conventions: datelines, bylines, credits, attributions.

These are the rules trafilatura does not know: the lead starts with
a dateline such as ``LSO-`` or ``(TTXVN) -``; the byline is the last line of the
body, often in capitals (``PHÙNG KHIÊM``) or as a credit (``Bài và ảnh: X``); a
re-published story ends with ``Theo TTXVN`` or ``Nguồn: …``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.core.record import nfc

# "LSO-", "(TTXVN) -", "(ABC) –", "HÀ NỘI -": an upper-case tag of at most four
# words and a dash at the very start. Upper case is checked in code (Vietnamese
# capitals are not in [A-Z]).
_DATELINE = re.compile(r"^\(?\s*([^\W\d_][\w .&/]{0,30}?)\s*\)?\s*[-–—]+\s*")
_LONE_DASH = re.compile(r"^[-–—]\s*")
# "LST: …", "(BLS): …": a one-word upper-case tag and a colon (checked in code too).
_COLON_TAG = re.compile(r"^\(?\s*([^\W\d_]{2,6})\s*\)?\s*:\s+")

_ATTRIBUTION = re.compile(
    r"^\(?\s*(?:theo|nguồn\s*:?)\s+(?P<who>[^()]{2,80}?)\s*\)?\s*\.?$", re.I
)
_NGUON = re.compile(r"^\(?\s*nguồn\s*:\s*(?P<who>.{2,80}?)\s*\)?\s*\.?$", re.I)
_CREDIT = re.compile(
    r"^(?:bài\s*(?:và|,|&)\s*ảnh|bài\s*/\s*ảnh|tin\s*(?:và|,|&)\s*ảnh|bài|tin|thực hiện"
    r"|nhóm phóng viên)\s*:\s*(?P<who>.{2,120}?)\.?$",
    re.I,
)
_TH_SUFFIX = re.compile(r"^(?P<who>.{2,60}?)\s*\(\s*t/h\s*\)\.?$", re.I)
_PHOTO = re.compile(r"^\(?\s*(?:ảnh|video|đồ họa|clip)\s*:\s*(?P<who>.{2,80}?)\s*\)?\.?$", re.I)
_GROUP = re.compile(r"^(?:nhóm\s+pv|nhóm\s+phóng\s+viên|pv|ctv)(?:\s+.{0,30})?$", re.I)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\s-\s|\s–\s|\svà\s|\sVÀ\s)\s*")

# Lines that are page furniture when they end up inside the body text.
_BOILERPLATE = re.compile(
    r"^(?:đọc thêm|xem thêm|tin liên quan|bài liên quan|tin cùng chuyên mục|chia sẻ|"
    r"bản in|in bài viết|gửi bài viết|bình luận|theo dõi .{0,40} trên|từ khóa|tags?)\b.{0,50}$",
    re.I,
)

# Words that make a "name" an organisation: outlets are never authors.
_ORG_WORDS = re.compile(
    r"(?:^|\s)(?:báo|tạp chí|đài|cổng thông tin|trang tin|điện tử|ban biên tập|tòa soạn|"
    r"thông tấn|ttxvn|vov|vtv|news|online|admin|bbt)(?:\s|$)|\.(?:vn|com|net|org)\b",
    re.I,
)

MAX_BYLINE_CHARS = 60


def strip_dateline(text: str, prefixes: Iterable[str] = ()) -> str:
    """The lead without its dateline (the outlet's prefixes, then the generic rule)."""
    text = text.strip()
    for prefix in sorted(prefixes, key=len, reverse=True):
        if text.startswith(prefix):
            return _LONE_DASH.sub("", text[len(prefix):].lstrip())
    match = _DATELINE.match(text) or _COLON_TAG.match(text)
    if match and _is_dateline_tag(match.group(1)):
        return text[match.end():]
    return _LONE_DASH.sub("", text)


def _is_dateline_tag(tag: str) -> bool:
    letters = [ch for ch in tag if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters) and len(tag.split()) <= 4


def attribution_of(line: str) -> str | None:
    """"TTXVN" for "Theo TTXVN" / "(Theo TTXVN)" / "Nguồn: TTXVN"."""
    line = line.strip()
    if len(line) > 90:
        return None
    nguon = _NGUON.match(line)
    match = nguon or _ATTRIBUTION.match(line)
    if not match:
        return None
    who = match.group("who").strip(" .")
    if nguon:
        return who if len(who) <= 80 else None
    # "Theo ông A, dự án …" is a sentence, not a credit: a source is a short
    # proper name or acronym (TTXVN, VOV, Báo Nhân Dân, dangcongsan.vn).
    if len(who) > 40 or len(who.split()) > 6 or "," in who or not who[0].isupper():
        return None
    return who


def credit_authors(line: str) -> list[str] | None:
    """Authors of a credit line ("Bài và ảnh: X", "X (t/h)", "Nhóm PV"), else None."""
    line = line.strip()
    if len(line) > 130:
        return None
    match = _CREDIT.match(line) or _TH_SUFFIX.match(line)
    if match:
        return split_names(match.group("who"))
    if _GROUP.match(line) and len(line) <= 40:
        return [line.strip(" .")]
    return None


def photo_credit(line: str) -> str | None:
    match = _PHOTO.match(line.strip())
    return match.group("who").strip() if match else None


def is_caps_byline(line: str) -> bool:
    """A short line entirely in capitals, e.g. "PHÙNG KHIÊM" or "MINH ANH - HOÀNG HÀ"."""
    line = line.strip()
    letters = [ch for ch in line if ch.isalpha()]
    if not letters or len(line) > MAX_BYLINE_CHARS or any(ch.isdigit() for ch in line):
        return False
    words = line.replace("-", " ").replace(",", " ").split()
    return all(ch.isupper() for ch in letters) and 1 <= len(words) <= 8 and len(letters) >= 4


def is_name_line(line: str) -> bool:
    """A bare personal name as the last line ("Anh Dũng"): 2–5 capitalised words,
    no digits or sentence punctuation. Used only for the very last body line."""
    line = line.strip()
    if len(line) > 40 or any(ch.isdigit() for ch in line) or re.search(r"[.!?:;\"“”…]$", line):
        return False
    words = line.split()
    return 2 <= len(words) <= 5 and all(w[0].isupper() and w[1:].islower() for w in words if w.isalpha()) \
        and all(w.isalpha() for w in words)


def split_names(value: str) -> list[str]:
    names = [n.strip(" .()") for n in _NAME_SPLIT.split(value)]
    return [n for n in names if n]


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.match(line.strip()))


def is_organisation(name: str, site_names: Iterable[str] = ()) -> bool:
    """True for outlet and organisation names, which are never authors."""
    folded = name.casefold().strip()
    if not folded or folded.startswith("@") or "http" in folded:
        return True
    for site in site_names:
        site = site.casefold().strip()
        if site and (folded == site or site in folded):
            return True
    return bool(_ORG_WORDS.search(folded))


def clean_authors(names: Iterable[str], site_names: Iterable[str] = ()) -> list[str]:
    """NFC, trimmed, organisation-free, de-duplicated case-insensitively (first wins)."""
    sites = list(site_names)
    seen: set[str] = set()
    result: list[str] = []
    for name in names:
        name = " ".join(nfc(name).split()).strip(" ,.-–")
        if not name or len(name) > MAX_BYLINE_CHARS or is_organisation(name, sites):
            continue
        if name.casefold() not in seen:
            seen.add(name.casefold())
            result.append(name)
    return result
