"""Helpers shared by the mirror generators of the outlet families (not baolangson).

Everything is deterministic: no clock, no locale, sorted iteration, gzip with mtime 0.
Each generator rewrites its site folder completely except the hand-written README.md.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import json
import shutil
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SITES = HERE.parent / "sites"
TZ = dt.timezone(dt.timedelta(hours=7))  # Asia/Ho_Chi_Minh, no DST
WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
RFC822_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
RFC822_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
HTML_TYPE = "text/html; charset=utf-8"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def load(name: str) -> list[dict]:
    """Rows of ``<name>.json`` with ``when`` parsed, newest first (ties: by id/path)."""
    rows = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    for row in rows:
        row["when"] = dt.datetime.fromisoformat(row["published"]).astimezone(TZ)
    return sorted(rows, key=lambda r: (r["when"], str(r.get("id", r.get("path")))), reverse=True)


def rfc822(when: dt.datetime) -> str:
    return (f"{RFC822_DAYS[when.weekday()]}, {when.day:02d} {RFC822_MONTHS[when.month - 1]} "
            f"{when.year} {when:%H:%M:%S} +0700")


def ascii_fold(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def slug(title: str, keep_case: bool = False) -> str:
    """URL slug of a Vietnamese title: diacritics dropped, words joined by '-'."""
    folded = ascii_fold(title)
    words = "".join(c if c.isalnum() else " " for c in folded).split()
    joined = "-".join(words)
    return joined if keep_case else joined.lower()


def rss(title: str, link: str, items: list[tuple[str, str, str, dt.datetime]]) -> str:
    """RSS 2.0; items are (title, url, description, when); lastBuildDate = newest item."""
    body = "".join(
        f"<item><title>{esc(t)}</title><link>{u}</link><guid isPermaLink=\"true\">{u}</guid>"
        f"<description>{esc(d)}</description><pubDate>{rfc822(w)}</pubDate></item>\n"
        for t, u, d, w in items)
    newest = rfc822(items[0][3]) if items else ""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>\n'
            f"<title>{esc(title)}</title><link>{link}</link><description>{esc(title)}</description>"
            f"<language>vi</language><lastBuildDate>{newest}</lastBuildDate>\n{body}</channel></rss>\n")


class Site:
    """One mirror folder: clean, write files, collect routes.tsv rows, write expected.json."""

    def __init__(self, host: str, root: Path | None = None):
        self.root = root or SITES / host
        self.routes: list[str] = ["# path_and_query\tfile\tstatus\tcontent_type"]

    def clean(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for p in sorted(self.root.iterdir()):
            if p.name != "README.md":
                shutil.rmtree(p) if p.is_dir() else p.unlink()

    def write(self, rel: str, text: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    def write_gz(self, rel: str, text: str) -> None:
        self.write(rel, gzip.compress(text.encode("utf-8"), mtime=0))

    def route(self, target: str, rel: str, status: int = 200, ctype: str = HTML_TYPE) -> None:
        self.routes.append(f"{target}\t{rel}\t{status}\t{ctype}")

    def finish(self, expected: dict[str, list[str]]) -> None:
        if len(self.routes) > 1:
            self.write("routes.tsv", "\n".join(self.routes) + "\n")
        out = {k: sorted(set(v)) for k, v in expected.items()}
        out["all"] = sorted(set().union(*expected.values()))
        self.write("expected.json", json.dumps(out, ensure_ascii=False, indent=1) + "\n")


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]
