"""Bad input during a crawl: each fault is logged with a reason and nothing is half-stored."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from crawler.core.outcome import EXIT_CODES
from crawler.mirror.server import SITES_DIR, MirrorServer
from tests.conftest import run_cli, stored_urls

SEED = Path(__file__).parents[2] / "tests" / "crawler" / "fixtures" / "seed-paragraphs.txt"
HOST = "baothu.example"
SOURCES = f"""
outlets:
  - key: baothu
    name: "Báo Thử"
    province: "Lạng Sơn"
    base_url: "https://{HOST}"
    feeds: ["https://{HOST}/rss.xml"]
    listings:
      - url: "https://{HOST}/tin"
    article_url_pattern: '^https://baothu\\.example/[a-z0-9-]+-\\d+\\.html$'
"""


def article(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<h1>{title}</h1><div class="date">08:00 | 0{len(title) % 9 + 1}/07/2025</div>'
            f'<article>{body}</article></body></html>')


@pytest.fixture
def faulty_site(tmp_path: Path) -> tuple[MirrorServer, Path, Path]:
    paragraphs = SEED.read_text(encoding="utf-8").split("\n\n")
    site = tmp_path / "sites" / HOST
    (site / "tin").mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    # Not XML at all: what a feed URL answers when the CMS serves an error text instead.
    (site / "rss.xml").write_text("Dịch vụ tạm ngừng, xin quay lại sau.", encoding="utf-8")
    links = ["tot-1", "tot-2", "tot-3", "mat-4", "loi-5", "rong-6", "vo-7"]
    (site / "tin" / "index.html").write_text(
        "<html><body>" + "".join(f'<a href="https://{HOST}/{n}.html">{n}</a>' for n in links) + "</body></html>")
    for i in (1, 2, 3):
        (site / f"tot-{i}.html").write_text(article(f"Bài thử số {i}", paragraphs[i - 1:i + 2]), encoding="utf-8")
    (site / "rong-6.html").write_text("")
    (site / "vo-7.html").write_text("<html><div><p><<<>>></div><script>var x = 1;</script>")
    (site / "routes.tsv").write_text("/loi-5.html\tmissing.html\t500\t\n")
    server = MirrorServer(tmp_path / "sites")
    server.start_background()
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    yield server, sources, tmp_path / "provnews.db"
    server.shutdown()
    server.server_close()


def test_faults_are_reported_and_only_good_articles_stored(faulty_site):
    server, sources, db_path = faulty_site
    result = run_cli("crawl", "baothu", "--mirror", server.url, "--sources", str(sources),
                     "--db", f"sqlite:///{db_path}")
    # Some fetches failed and some articles were stored: the crawl was partial.
    assert result.returncode == EXIT_CODES["partial"], result.stderr
    good = {f"https://{HOST}/tot-{i}.html" for i in (1, 2, 3)}
    assert stored_urls(db_path) == good, result.stderr
    log = result.stderr
    assert "feed unusable: https://baothu.example/rss.xml (not_xml" in log
    assert "fetch failed: https://baothu.example/mat-4.html (http_404)" in log
    assert "fetch failed: https://baothu.example/loi-5.html (http_500)" in log
    assert "fetch refused: https://baothu.example/rong-6.html (empty_extract" in log   # row B6
    assert "https://baothu.example/vo-7.html" in log
    with sqlite3.connect(db_path) as conn:
        incomplete = conn.execute(
            "SELECT url FROM articles WHERE title IS NULL OR text IS NULL OR length(text) < 100").fetchall()
    assert incomplete == []


def test_a_misbehaving_outlet_does_not_stop_the_others(tmp_path: Path):
    """One crawl of two outlets: baothu's sitemap index names itself, its listing's
    "next" link loops back and its feed is broken XML; Báo Lạng Sơn is fine."""
    sites = tmp_path / "sites"
    shutil.copytree(SITES_DIR / "baolangson.vn", sites / "baolangson.vn")
    site = sites / HOST
    (site / "tin").mkdir(parents=True)
    paragraphs = SEED.read_text(encoding="utf-8").split("\n\n")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "rss.xml").write_text("<rss><channel><item><link>https://baothu.example/tot-1.html", encoding="utf-8")
    (site / "sitemap.xml").write_text(
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>https://{HOST}/sitemap.xml</loc></sitemap></sitemapindex>", encoding="utf-8")
    (site / "tin" / "index.html").write_text(
        f'<html><body><a href="https://{HOST}/tot-1.html">1</a>'
        f'<a rel="next" href="https://{HOST}/tin">Trang sau</a></body></html>', encoding="utf-8")
    (site / "tot-1.html").write_text(article("Bài thử số 1", paragraphs[:3]), encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(SOURCES.replace(f'    feeds: ["https://{HOST}/rss.xml"]',
                                       f'    feeds: ["https://{HOST}/rss.xml"]\n'
                                       f'    sitemaps: ["https://{HOST}/sitemap.xml"]'), encoding="utf-8")
    server = MirrorServer(sites)
    server.start_background()
    try:
        db = tmp_path / "db.sqlite"
        result = run_cli("crawl", "baothu", "baolangson", "--mirror", server.url, "--sources", str(sources),
                         "--db", f"sqlite:///{db}", timeout=300)
    finally:
        server.shutdown()
        server.server_close()
    # One outlet's routes failed, the other's crawl was whole: the command was partial.
    assert result.returncode == EXIT_CODES["partial"], result.stderr
    expected = set(json.loads((SITES_DIR / "baolangson.vn" / "expected.json").read_text(encoding="utf-8"))["all"])
    assert stored_urls(db) == expected | {f"https://{HOST}/tot-1.html"}
    # The truncated feed's intact item is used, and its breakage recorded.
    assert "feed malformed, intact entries used: https://baothu.example/rss.xml (xml_recovered" in result.stderr
    with sqlite3.connect(db) as conn:
        reasons = conn.execute("SELECT reason FROM fetch_log WHERE url = ?", (f"https://{HOST}/rss.xml",)).fetchall()
    assert reasons == [("xml_recovered",)]
    assert "sitemap unusable: https://baothu.example/sitemap.xml (too_deep" in result.stderr
    # The looping "next" link was followed once, then the walk saw nothing new.
    assert server.hits[(HOST, "/tin")] == 2
