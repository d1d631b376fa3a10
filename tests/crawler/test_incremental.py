"""Crawls over time: recrawls that cost a handful of requests, new articles, revisions,
stories across outlets, and a run killed mid-way that loses nothing.

Each test builds its own copy of the mirror in a temporary folder, so it can change
the site between crawls the way a newsroom would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from crawler.mirror.reconstruct import baolangson
from crawler.mirror.server import SITES_DIR, MirrorServer
from storage import open_database
from storage.models import Article
from tests.conftest import run_cli, stored_urls

NEWEST_TEN = {a.url for a in baolangson.load()[:10]}
ALL_ARTICLES = {a.url for a in baolangson.load()}


def article_hits(server: MirrorServer, host: str, urls: set[str]) -> int:
    paths = {"/" + u.split("/", 3)[3] for u in urls}
    return sum(n for (h, path), n in server.hits.items() if h == host and path in paths)


def test_recrawl_of_an_unchanged_site_costs_only_its_entry_points(sites: Path, serve, tmp_path: Path):
    shutil.copytree(SITES_DIR / "baolangson.vn", sites / "baolangson.vn")
    shutil.copytree(SITES_DIR / "baolaocai.vn", sites / "baolaocai.vn")
    server = serve()
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run_cli("crawl", "baolangson", "baolaocai", "--mirror", server.url, "--db", db).returncode == 0
    sitemap_files = {path for (host, path) in server.hits if host == "baolaocai.vn" and "sitemap" in path}
    server.hits.clear()
    again = run_cli("crawl", "baolangson", "baolaocai", "--mirror", server.url, "--db", db)
    assert again.returncode == 0, again.stderr
    stored = stored_urls(tmp_path / "db.sqlite")
    assert article_hits(server, "baolangson.vn", stored) + article_hits(server, "baolaocai.vn", stored) == 0
    # robots.txt + feeds + sitemaps + the first page of each listing, per outlet
    bound = {"baolangson.vn": 1 + 1 + 0 + 4, "baolaocai.vn": 1 + 1 + len(sitemap_files) + 1}
    for host, limit in bound.items():
        requests = sum(n for (h, _), n in server.hits.items() if h == host)
        assert requests <= limit, (host, sorted(p for (h, p) in server.hits if h == host))
    # The second run found nothing new: over a window of one run the outlet is dry.
    health = {r["outlet"]: r for r in json.loads(run_cli("sources", "health", "--runs", "1", "--format", "json",
                                                         "--db", db).stdout)}
    assert health["baolangson"]["status"] == "DRY" and health["hanoimoi"]["status"] == "never crawled"
    health = {r["outlet"]: r for r in json.loads(run_cli("sources", "health", "--runs", "2", "--format", "json",
                                                         "--db", db).stdout)}
    assert health["baolangson"]["status"] == "ok" and health["baolangson"]["new"] == len(ALL_ARTICLES)


def test_ten_new_articles_make_ten_rows_and_at_most_ten_downloads(sites: Path, serve, tmp_path: Path):
    site = sites / "baolangson.vn"
    baolangson.build(site, keep=lambda art: art.url not in NEWEST_TEN)
    server = serve()
    db_path = tmp_path / "db.sqlite"
    db = f"sqlite:///{db_path}"
    assert run_cli("crawl", "baolangson", "--mirror", server.url, "--db", db).returncode == 0
    before = stored_urls(db_path)
    assert before == ALL_ARTICLES - NEWEST_TEN
    baolangson.build(site)  # the newsroom publishes ten articles
    server.hits.clear()
    assert run_cli("crawl", "baolangson", "--mirror", server.url, "--db", db).returncode == 0
    assert stored_urls(db_path) - before == NEWEST_TEN
    assert article_hits(server, "baolangson.vn", ALL_ARTICLES) <= 10


def test_a_revised_article_keeps_its_id_and_gains_a_version(sites: Path, serve, tmp_path: Path):
    site = sites / "baolangson.vn"
    baolangson.build(site)
    server = serve()
    db_path = tmp_path / "db.sqlite"
    db = f"sqlite:///{db_path}"
    assert run_cli("crawl", "baolangson", "--mirror", server.url, "--db", db).returncode == 0
    seed = next(a for a in baolangson.load() if a.raw["id"] == 5000001)
    page = site / seed.filename
    html = page.read_text(encoding="utf-8")
    edited = html.replace("Dự buổi làm việc có đồng chí", "Dự buổi làm việc chiều 11/9 có đồng chí", 1)
    assert edited != html
    page.write_text(edited, encoding="utf-8")
    # A day passes. Written through the model, so the stored text has the format the
    # code compares against (a raw ISO string with a "T" would sort wrongly half the day).
    database = open_database(db)
    with database.session() as session, session.begin():
        session.execute(update(Article).values(last_seen_at=datetime.now(UTC) - timedelta(days=1)))
        article_id = session.scalar(select(Article.id).where(Article.url == seed.url))
    database.engine.dispose()
    result = run_cli("crawl", "baolangson", "--recheck-days", "100000", "--mirror", server.url, "--db", db)
    assert result.returncode == 0, result.stderr
    history = json.loads(run_cli("history", str(article_id), "--format", "json", "--db", db).stdout)
    assert [v["version"] for v in history] == [1, 2]
    assert "chiều 11/9" in history[1]["diff"] and history[0]["diff"] == ""
    shown = json.loads(run_cli("show", str(article_id), "--db", db).stdout)
    assert shown["id"] == article_id and "chiều 11/9" in shown["text"]
    # The other articles were fetched again too, but unchanged: no second version.
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT MAX(version) FROM article_versions WHERE article_id != ?",
                            (article_id,)).fetchone() == (1,)


def test_one_article_under_three_urls_and_a_syndicated_copy_make_one_story(sites: Path, serve, tmp_path: Path):
    site = sites / "baolangson.vn"
    baolangson.build(site)
    seed = next(a for a in baolangson.load() if a.raw["id"] == 5000001)
    # The same page under two more URLs (a Zalo share, a campaign link), listed on page 1.
    variants = [f"{seed.url}?zarsrc=30&utm_source=zalo", f"{seed.url}?utm_campaign=sang-nay"]
    with (site / "routes.tsv").open("a", encoding="utf-8") as routes:
        for url in variants:
            routes.write(f"/{url.split('/', 3)[3]}\t{seed.filename}\t200\ttext/html; charset=utf-8\n")
    listing = site / "chinh-tri" / "index.html"
    links = "".join(f'<div class="item"><a class="title" href="{u}">{seed.title}</a></div>' for u in variants)
    listing.write_text(listing.read_text(encoding="utf-8").replace("</body>", links + "</body>"), encoding="utf-8")
    # Báo Lào Cai republishes it with its own dateline and byline.
    shutil.copytree(SITES_DIR / "baolaocai.vn", sites / "baolaocai.vn")
    copy_url = "https://baolaocai.vn/doan-kiem-tra-lam-viec-voi-tinh-uy-lang-son-post999001.html"
    copy = (site / seed.filename).read_text(encoding="utf-8")
    copy = copy.replace("LSO-Chiều nay", "(TTXVN) - Chiều nay").replace("PHÙNG KHIÊM", "Theo TTXVN")
    (sites / "baolaocai.vn" / copy_url.rsplit("/", 1)[1]).write_text(copy, encoding="utf-8")
    laocai_listing = sites / "baolaocai.vn" / "review-lao-cai" / "index.html"
    laocai_listing.write_text(laocai_listing.read_text(encoding="utf-8").replace(
        "</body>", f'<a href="{copy_url}">Đoàn kiểm tra</a></body>'), encoding="utf-8")
    server = serve()
    db_path = tmp_path / "db.sqlite"
    db = f"sqlite:///{db_path}"
    result = run_cli("crawl", "baolangson", "baolaocai", "--mirror", server.url, "--db", db)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT id, outlet FROM articles WHERE title = ?", (seed.title,)).fetchall()
    assert sorted(outlet for _, outlet in rows) == ["baolangson", "baolaocai"]
    story = json.loads(run_cli("story", str(rows[0][0]), "--format", "json", "--db", db).stdout)
    assert {c["outlet"] for c in story["copies"]} == {"baolangson", "baolaocai"}
    assert min(c["similarity"] for c in story["copies"]) >= 0.5
    collapsed = json.loads(run_cli("search", "Đoàn Kiểm tra số 721", "--collapse", "--format", "json",
                                   "--db", db).stdout)
    assert len([r for r in collapsed if r["title"] == seed.title]) == 1


@pytest.mark.slow
def test_a_run_killed_mid_way_is_completed_by_the_next(sites: Path, serve, tmp_path: Path):
    baolangson.build(sites / "baolangson.vn")
    server = serve()
    db_path = tmp_path / "db.sqlite"
    args = [sys.executable, "-m", "crawler", "crawl", "baolangson", "--mirror", server.url,
            "--db", f"sqlite:///{db_path}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if _count(db_path, "SELECT COUNT(*) FROM frontier WHERE state = 'leased'") >= 5:
                break
        except sqlite3.OperationalError:  # the schema is not created yet
            pass
        time.sleep(0.05)
    assert proc.poll() is None, "the crawl ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_with = _count(db_path, "SELECT COUNT(*) FROM articles")
    assert killed_with < len(ALL_ARTICLES)
    assert _count(db_path, "SELECT COUNT(*) FROM frontier WHERE state = 'leased'") > 0
    result = run_cli("crawl", "baolangson", "--mirror", server.url, "--db", f"sqlite:///{db_path}")
    assert result.returncode == 0, result.stderr
    assert stored_urls(db_path) == ALL_ARTICLES
    assert _count(db_path, "SELECT COUNT(*) FROM frontier WHERE state = 'leased'") == 0
    assert _count(db_path, "SELECT COUNT(*) FROM (SELECT url_key FROM articles GROUP BY url_key HAVING COUNT(*) > 1)") == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        statuses = [row[0] for row in conn.execute("SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["killed", "ok"]


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return conn.execute(sql).fetchone()[0]
