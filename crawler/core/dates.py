"""Vietnamese date strings → timezone-aware datetimes.

Regex + ``datetime`` only: dateparser is ~100× slower and fails on
the ``Cập nhật:`` prefix anyway, and every format seen on provincial outlets is
covered here. Numeric dates are **always day-first** (04/12/2020 is 4 December):
Vietnamese pages never write month-first. A string without a zone gets the
outlet's zone (Asia/Ho_Chi_Minh by default). Relative dates ("3 giờ trước") are
deliberately not parsed: they need the fetch time and are better left to the feed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR, MAX_YEAR = 1990, 2100

_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?(?!\d)"
)
# D/M/YYYY with "/", "-" or "." as separator (one kind per date).
_DMY = re.compile(r"(?<!\d)(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?!\d)")
# "22 tháng 3 năm 2019", "ngày 22 tháng 03, 2019"
_VI_LONG = re.compile(r"(?<!\d)(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*năm\s*|\s*,\s*|\s+)(\d{4})(?!\d)", re.I)
# "08:15", "8:15:30", "08h15", "8 giờ 15"; an optional SA/CH/AM/PM after it.
_TIME = re.compile(
    r"(?<![\d/.-])(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})(?::(\d{2}))?(?![\d/])\s*(am|pm|sa|ch)?",
    re.I,
)
# "(GMT+7)", "GMT+07:00", "UTC +7"
_ZONE = re.compile(r"(?:GMT|UTC)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.I)


def parse_date(text: str | None, tz: tzinfo | None = None) -> datetime | None:
    """The first date in ``text`` as an aware datetime, or None.

    ``tz`` is the zone for strings that carry none (default Asia/Ho_Chi_Minh).
    """
    if not text:
        return None
    text = " ".join(text.split())  # NBSPs and line breaks inside date lines
    tz = tz or DEFAULT_TZ
    return _parse_iso(text, tz) or _parse_dmy(text, tz)


def _parse_iso(text: str, tz: tzinfo) -> datetime | None:
    match = _ISO.search(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    zone_info = _offset(zone) if zone else tz
    return _build(int(year), int(month), int(day), hour, minute, second, zone_info)


def _offset(zone: str) -> tzinfo:
    if zone == "Z":
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))


def _parse_dmy(text: str, tz: tzinfo) -> datetime | None:
    match = _DMY.search(text)
    if match:
        day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
        rest = text[: match.start()] + " " + text[match.end():]
    else:
        match = _VI_LONG.search(text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
        rest = text[: match.start()] + " " + text[match.end():]
    zone = _ZONE.search(rest)
    if zone:
        tz = _offset(f"{zone.group(1)}{int(zone.group(2)):02d}{zone.group(3) or '00'}")
        rest = rest[: zone.start()] + rest[zone.end():]
    hour, minute, second = _find_time(rest)
    return _build(year, month, day, hour, minute, second, tz)


def _find_time(text: str) -> tuple[str | None, str | None, str | None]:
    match = _TIME.search(text)
    if not match:
        return None, None, None
    hour, minute, second, half = match.groups()
    if half and half.lower() in ("pm", "ch") and int(hour) < 12:
        hour = str(int(hour) + 12)
    elif half and half.lower() in ("am", "sa") and int(hour) == 12:
        hour = "0"
    return hour, minute, second


def _build(year: int, month: int, day: int, hour: str | None, minute: str | None,
           second: str | None, tz: tzinfo) -> datetime | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        # datetime() validates the calendar (31/02 → ValueError → None).
        return datetime(year, month, day, int(hour or 0), int(minute or 0),
                        int(second or 0), tzinfo=tz)
    except ValueError:
        return None
