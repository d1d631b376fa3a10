"""Discovery routes on the Báo Lạng Sơn mirror: --since backfill stop and feed autodiscovery."""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from crawler.mirror.server import SITES_DIR
from tests.conftest import run_cli, stored_urls

SITE = SITES_DIR / "baolangson.vn"
ITEM_DATE = re.compile(r'<div class="time">\d{2}:\d{2} \| (\d{2})/(\d{2})/(\d{4})</div>')


def listing_pages(category: str) -> list[tuple[str, list[date]]]:
    """(request target, item dates) of a category's pages in order, read from the files."""
    pages, number = [], 1
    while True:
        path = SITE / category / ("index.html" if number == 1 else f"page-{number}.html")
        if not path.exists():
            return pages
        dates = [date(int(y), int(m), int(d)) for d, m, y in ITEM_DATE.findall(path.read_text(encoding="utf-8"))]
        pages.append((f"/{category}" + ("" if number == 1 else f"?page={number}"), dates))
        number += 1


@pytest.mark.parametrize("since", ["2015-01-01", "2021-01-01"])
def test_since_fetches_no_listing_page_beyond_the_first_older_one(mirror, tmp_path: Path, since: str):
    cutoff = date.fromisoformat(since)
    result = run_cli("crawl", "baolangson", "--since", since, "--mirror", mirror.url,
                     "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.returncode == 0, result.stderr
    checked = 0
    for category in ("chinh-tri", "kinh-te", "xa-hoi", "van-hoa"):
        pages = listing_pages(category)
        first_older = next((i for i, (_, dates) in enumerate(pages) if dates and max(dates) < cutoff), None)
        if first_older is None:
            continue
        checked += 1
        beyond = [target for target, _ in pages[first_older + 1:]]
        assert all(mirror.hits[("baolangson.vn", t)] == 0 for t in beyond), (category, beyond)
        assert mirror.hits[("baolangson.vn", pages[first_older][0])] == 1
    assert checked, "the cut-off should stop at least one listing early"
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        dates = [row[0] for row in conn.execute("SELECT published_at FROM articles")]
    assert dates and all(d[:10] >= since for d in dates)


def test_feed_is_autodiscovered_from_a_section_page(mirror, tmp_path: Path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(r"""outlets:
  - key: baolangson
    name: "Báo Lạng Sơn"
    province: "Lạng Sơn"
    base_url: "https://baolangson.vn"
    listings: [{url: "https://baolangson.vn/kinh-te"}]
    article_url_pattern: '^https://baolangson\.vn/[a-z0-9-]+-\d{5,}\.html$'
""", encoding="utf-8")
    db = tmp_path / "db.sqlite"
    result = run_cli("crawl", "baolangson", "--sources", str(sources), "--mirror", mirror.url,
                     "--db", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert mirror.hits[("baolangson.vn", "/rss/home.rss")] == 1
    feed = (SITE / "rss" / "home.rss").read_text(encoding="utf-8")
    in_feed = set(re.findall(r"<link>(https://baolangson\.vn/[^<]+)</link>", feed))
    assert in_feed and in_feed <= stored_urls(db)
