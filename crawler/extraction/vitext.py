"""Vietnamese text conventions: datelines, bylines, credits, attributions.

These are the rules trafilatura does not know: the lead starts with
a dateline such as ``LSO-`` or ``(TTXVN) -``; the byline is the last line of the
body, often in capitals (``PHÙNG KHIÊM``) or as a credit (``Bài và ảnh: X``); a
re-published story ends with ``Theo TTXVN`` or ``Nguồn: …``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.core.record import fold_marks, nfc

# "LSO-", "(TTXVN) -", "(ABC) –", "HÀ NỘI -": an upper-case tag of at most four
# words and a dash at the very start. Upper case is checked in code (Vietnamese
# capitals are not in [A-Z]).
_DATELINE = re.compile(r"^\(?\s*([^\W\d_][\w .&/]{0,30}?)\s*\)?\s*[-–—]+\s*")
_PAREN_DATELINE = re.compile(r"^\(\s*([^()\d]{2,30}?)\s*\)\s*[-–—]+\s*")
# An outlet's host name as its dateline: "(Baonghean.vn) -", "VOV.VN -", "Dân trí.com.vn -".
_HOST_TAG = re.compile(r"^[^\W_][\w-]*(?:\s\w+)?(?:\.[^\W\d_]{2,})+$")
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
    r"thông tấn|ttxvn|vov|vtv|news|online|admin|bbt|"
    # Public bodies and companies credited as a source ("Theo Bảo hiểm xã hội TP Hà Nội").
    r"bảo hiểm|ubnd|ủy ban|uỷ ban|sở|cục|công ty|tập đoàn|ngân hàng|bệnh viện|trung tâm|học viện)"
    r"(?:\s|$)|\.(?:vn|com|net|org)\b",
    re.I,
)

MAX_BYLINE_CHARS = 60


def strip_dateline(text: str, prefixes: Iterable[str] = ()) -> str:
    """The lead without its dateline (the outlet's prefixes, then the generic rule)."""
    text = text.strip()
    for prefix in sorted(prefixes, key=len, reverse=True):
        if text.startswith(prefix):
            return _LONE_DASH.sub("", text[len(prefix):].lstrip())
    paren = _PAREN_DATELINE.match(text)
    if paren and len(paren.group(1).split()) <= 3 and paren.group(1)[0].isupper():
        return text[paren.end():]  # "(Dân trí) -": brackets and a dash, in any case
    match = _DATELINE.match(text) or _COLON_TAG.match(text)
    if match and _is_dateline_tag(match.group(1)):
        return text[match.end():]
    return _LONE_DASH.sub("", text)


def _is_dateline_tag(tag: str) -> bool:
    """An upper-case tag of at most four words ("TPO", "(NLĐO)", "HÀ NỘI") or a host name."""
    letters = [ch for ch in tag if ch.isalpha()]
    if not letters:
        return False
    return (all(ch.isupper() for ch in letters) and len(tag.split()) <= 4) or bool(_HOST_TAG.match(tag))


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
    # A name has at most five words ("CLICK FOR FULL STATE SWIM RESULTS" is a link).
    longest = max(len(n.split()) for n in split_names(line)) if split_names(line) else 0
    return all(ch.isupper() for ch in letters) and 1 <= len(words) <= 8 and len(letters) >= 4 and longest <= 5


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
    """True for outlet and organisation names, which are never authors: the site's own
    name in any spelling (``og:site_name``, the JSON-LD publisher, the domain:
    "The Guardian" is theguardian.com) and names made of organisation words."""
    folded = name.casefold().strip()
    if not folded or folded.startswith("@") or "http" in folded:
        return True
    squashed = _squash(folded)
    for site in site_names:
        site = site.casefold().strip()
        if site and (folded == site or site in folded or squashed in _site_keys(site)):
            return True
    return bool(_ORG_WORDS.search(folded))


def _squash(text: str) -> str:
    """Letters and digits only, without accents: "Dân trí" and dantri.com.vn's "dantri" meet."""
    return "".join(ch for ch in fold_marks(text) if ch.isalnum())


def _site_keys(site: str) -> set[str]:
    """"baonghean.vn" → {"baonghean.vn" squashed, "baonghean"}: a host without its
    ``www.`` and its public suffix, and the name as written."""
    host = site.removeprefix("www.").removeprefix("m.")
    return {_squash(site), _squash(host.split(".")[0])} - {""}


# A byline's lead-in in the languages of the public corpora and in Vietnamese. "By"
# and the Vietnamese credits need no colon; words that are also name particles
# ("Von", "Di", "Da") only count with one.
_AUTHOR_PREFIX = re.compile(
    r"^(?:(?:by|par|por|door|przez|av|af|written by|geschrieben von|text(?:e)?\s*:?|"
    r"tác giả|bài và ảnh|bài, ảnh|bài/ảnh|bài|thực hiện)\s*:?\s+"
    # "Tin" is also "news" ("TIN MỚI" is a box heading): a credit only with its colon.
    r"|(?:tin và ảnh|tin, ảnh|tin)\s*:\s*"
    # "Theo Phạm Trường": "according to" before a Vietnamese name; "Theo" alone is also
    # a given name elsewhere (Theo Walcott), so only before a name with letters that
    # only Vietnamese spells (ă, đ, ơ, ư, ĩ, ũ and the tone-marked block U+1EA0–U+1EF9).
    r"|theo\s+(?=.*[ăđĩũơưĂĐĨŨƠƯ\u1ea0-\u1ef9])"
    r"|(?:von|di|da|de|autor(?:in)?|author|auteur|redakt\w*)\s*:\s*"
    r"|(?:phóng viên|cộng tác viên|pv|ctv)\s+(?=\w))",
    re.I,
)
# News agencies: a story they wrote is attributed to them; it has no author.
_AGENCY = re.compile(
    r"^(?:ttxvn|vna|vov|thông tấn xã việt nam|afp|agence france-presse|reuters|ap|"
    r"associated press|dpa|deutsche presse-agentur|apa|ansa|efe|epd|kna|sda|keystone-sda|"
    r"xinhua|tass|kyodo|yonhap|bernama|upi|anp|belga|pap|ctk|mti|antara|pti|ians)$",
    re.I,
)
# "Anna Muster (amu)", "Jan Kowalski/dpa", "Max Muster, AFP": a role or agency suffix.
_SUFFIX = re.compile(r"^(?P<name>.+?)\s*(?:\((?P<paren>[^()]{1,30})\)|\s*[/,|]\s*(?P<tail>[\w-]{2,20}))\s*$")
_INITIALS = re.compile(r"^[a-zà-ỹđ]{1,5}$")
# Lower case only: "Y" starts many Ê Đê given names ("Y Moan").
_AND = re.compile(r"\s+(?:and|und|et|y|e|en|i|og|och|và|VÀ)\s+|\s*(?:,|;|&|\s-\s|\s–\s|\|)\s*")


# "Tâm HằngTTXVN": a name and an agency's acronym printed in two inline elements and
# read without a space between them (upper-case acronyms only, after a lower-case letter).
_GLUED_AGENCY = re.compile(r"^(?P<name>.*[^\W\d_])(?P<agency>TTXVN|VNA|VOV|AFP|AP|DPA|dpa|EFE|ANSA|APA)$")


# A box heading or badge read from an author-like element ("TIN MỚI", "MỚI", "HOT").
_LABEL = re.compile(r"^(?:tin mới|mới|mới nhất|tin nóng|hot|new|live|video)$", re.I)


def is_agency(name: str) -> bool:
    return bool(_AGENCY.match(" ".join(name.split()).strip(" .()")))


def parse_byline(value: str) -> tuple[list[str], list[str]]:
    """(names, agencies) of one byline: lead-ins, role initials and agency suffixes off,
    "X and Y" (in the corpora's languages) split."""
    value = " ".join(nfc(value).split()).strip(" ,.-–|")
    names: list[str] = []
    agencies: list[str] = []
    for part in _AND.split(_AUTHOR_PREFIX.sub("", value)):
        part = _AUTHOR_PREFIX.sub("", part.strip(" ,.-–|"))
        match = _SUFFIX.match(part)
        if match:
            extra = (match.group("paren") or match.group("tail") or "").strip()
            if is_agency(extra):
                agencies.append(extra)
                part = match.group("name")
            elif match.group("paren") and _INITIALS.match(extra):
                part = match.group("name")  # "(abc)": the editor's initials, not a name
        part = part.strip(" ,.-–|()")
        glued = _GLUED_AGENCY.match(part)
        if glued and glued.group("name")[-1].islower():
            agencies.append(glued.group("agency"))
            part = glued.group("name")
        if is_agency(part):
            agencies.append(part)
        elif part:
            names.append(part)
    return names, agencies


def clean_authors(names: Iterable[str], site_names: Iterable[str] = ()) -> tuple[list[str], str | None]:
    """(authors, agency): bylines parsed (``parse_byline``), organisation-free,
    de-duplicated case-insensitively (first wins); the first news agency named, which
    is the story's attribution rather than an author."""
    sites = list(site_names)
    seen: set[str] = set()
    result: list[str] = []
    agency: str | None = None
    for raw in names:
        found, agencies = parse_byline(raw)
        agency = agency or next(iter(agencies), None)
        for name in found:
            if len(name) > MAX_BYLINE_CHARS or is_organisation(name, sites) or _LABEL.match(name) \
                    or name.casefold() in seen:
                continue
            seen.add(name.casefold())
            result.append(name)
    return _without_joined(result), agency


def _without_joined(names: list[str]) -> list[str]:
    """Drop a name that is two others read together ("Trần Nghị Đức Hoàng" beside
    "Trần Nghị" and "Đức Hoàng"): a two-author block whose text was taken whole."""
    folded = [" ".join(n.casefold().split()) for n in names]
    joined = {f"{a} {b}" for a in folded for b in folded if a != b}
    return [n for n, f in zip(names, folded, strict=True) if f not in joined]
