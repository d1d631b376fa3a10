"""An outlet that exists only in a user's --sources file, crawled by every route.

The file (written here, no code) points at the Báo Lào Cai mirror but lists no
sitemap: the sitemap route must find them through robots.txt's ``Sitemap:`` line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.mirror.server import SITES_DIR
from tests.conftest import run_cli, stored_urls

EXPECTED = json.loads((SITES_DIR / "baolaocai.vn" / "expected.json").read_text(encoding="utf-8"))
SOURCES = r"""outlets:
  - key: baothu_laocai
    name: "Báo thử (Lào Cai)"
    province: "Lào Cai"
    base_url: "https://baolaocai.vn"
    feeds: ["https://baolaocai.vn/rss/home.rss"]
    listings:
      - url: "https://baolaocai.vn/review-lao-cai/"
    article_url_pattern: '^https://baolaocai\.vn/[a-z0-9-]+-post\d+\.html$'
"""


@pytest.mark.parametrize("route", ["feed", "sitemap", "listing", "all"])
def test_user_outlet_by_each_route(mirror, tmp_path: Path, route: str):
    sources = tmp_path / "mine.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    db = tmp_path / "db.sqlite"
    args = [] if route == "all" else ["--route", route]
    result = run_cli("crawl", "baothu_laocai", *args, "--sources", str(sources), "--mirror", mirror.url,
                     "--db", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert stored_urls(db) == set(EXPECTED[route])
    if route in ("sitemap", "all"):
        assert mirror.hits[("baolaocai.vn", "/sitemaps/sitemap.xml")] == 1
