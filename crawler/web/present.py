"""Pure helpers that turn stored values into what the templates show: links that are
safe to put in ``href``, dates in Vietnam time, highlighted snippets, diff lines, and
the geometry of the articles-per-day chart. No I/O, no HTML: the templates escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SAFE_SCHEMES = ("http", "https")


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None (the template shows it as text).

    Browsers ignore leading whitespace and control characters and some tabs/newlines
    inside a scheme (``java\\tscript:``); a URL holding any of them is not linked at all."""
    if not isinstance(url, str) or any(ord(c) < 0x21 or c == "\x7f" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None


def local_time(value: str | datetime | None) -> datetime | None:
    """An ISO 8601 string or aware datetime, in Asia/Ho_Chi_Minh."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(VIETNAM) if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def day_first(value: str | datetime | None) -> str:
    """"04/12/2020 08:30" (day first, +07:00); "" for none."""
    moment = local_time(value)
    return moment.strftime("%d/%m/%Y %H:%M") if moment else ""


def iso(value: str | datetime | None) -> str:
    moment = local_time(value)
    return moment.isoformat() if moment else ""


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """``text`` cut at the highlight ``spans``: (piece, highlighted) pairs for ``<mark>``."""
    out, last = [], 0
    for start, end in spans:
        if start > last:
            out.append((text[last:start], False))
        out.append((text[start:end], True))
        last = end
    if last < len(text):
        out.append((text[last:], False))
    return out


def diff_lines(diff: str) -> list[tuple[str, str]]:
    """A stored word diff (crawler.core.similarity.word_diff) as (kind, words) lines:
    kind is "hunk", "same", "removed" or "added"."""
    kinds = {"@": "hunk", " ": "same", "-": "removed", "+": "added"}
    return [(kinds.get(line[:1], "same"), line if line.startswith("@") else line[1:])
            for line in diff.splitlines() if line]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    total: int
    peak: int
    first_day: date
    last_day: date
    counts: list[int]

    @property
    def path(self) -> str:
        """Every bar in one SVG path: a page of 40 charts draws 40 elements, not 3,600."""
        return "".join(f"M{b.x} {b.y}h{b.width}v{b.height}h-{b.width}z" for b in self.bars)


def daily_chart(daily: list[int], last_day: date, width: int = 270, height: int = 48) -> Chart:
    """Bars for a per-day histogram ending on ``last_day``; days without articles get no bar."""
    peak = max(daily, default=0)
    step = width / max(len(daily), 1)
    first_day = last_day - timedelta(days=len(daily) - 1)
    bars = [Bar(round(i * step, 2), round(height - count / peak * height, 2), round(max(step - 1, 1), 2),
                round(count / peak * height, 2), first_day + timedelta(days=i), count)
            for i, count in enumerate(daily) if count and peak]
    return Chart(width, height, bars, sum(daily), peak, first_day, last_day, daily)
