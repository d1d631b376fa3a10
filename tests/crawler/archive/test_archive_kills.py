"""kill -9 at random moments, during a crawl and during a re-extraction: every committed
pointer resolves to a WARC record whose digest matches, and the next run completes
the work.

A moment is chosen by progress, not by the clock (start-up time varies with the
machine's load): once the run has stored or re-extracted a random number more
articles, plus a random pause."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.mirror.server import SITES_DIR, MirrorServer
from crawler.services.archive import verify
from storage.database import open_database
from tests.conftest import run_cli

pytestmark = pytest.mark.slow
KILLS = 10
WARCIO = str(Path(sys.executable).with_name("warcio"))


def kill_when(args: list[str], ready: Callable[[], bool], pause: float, env: dict[str, str] | None = None) -> bool:
    """Start ``provnews ARGS`` in its own process group and SIGKILL the group ``pause``
    seconds after ``ready()`` turns true; whether it was killed (not finished first)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
    proc = subprocess.Popen([sys.executable, "-m", "crawler", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**clean, **(env or {})}, start_new_session=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(pause)
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def mirror_articles() -> set[str]:
    """Every mirrored outlet's articles, from each mirror's expected.json (never from a crawl)."""
    return {url for site in SITES_DIR.iterdir()
            for url in json.loads((site / "expected.json").read_text(encoding="utf-8"))["all"]}


def count(db_path: Path, sql: str) -> int:
    if not db_path.exists():  # connecting would create it
        return 0
    try:
        with sqlite3.connect(db_path) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # not yet migrated, or momentarily locked
        return 0


def assert_pointers_resolve(db_path: Path) -> int:
    database = open_database(f"sqlite:///{db_path}")
    try:
        with database.read_session() as session:
            result = verify(session, db_path.parent / "provnews-archive")
    finally:
        database.close()
    assert not result.problems, result.examples
    return result.pointers


def test_kill_9_during_crawls(mirror: MirrorServer, tmp_path: Path) -> None:
    db_path = tmp_path / "provnews.db"
    db = f"sqlite:///{db_path}"
    archive = db_path.parent / "provnews-archive"
    rng = random.Random(17)
    stored, killed = [], 0
    # Every mirrored outlet (92 articles, ~200 KB of archive): enough that ten kills all land mid-crawl.
    args = ["crawl", "--all", "--mirror", mirror.url, "--db", db]
    stored_sql = "SELECT count(*) FROM articles"
    for _ in range(KILLS):
        # 1 to 3 more articles stored, then a pause in which pages are being fetched,
        # written to the archive and stored.
        target = count(db_path, stored_sql) + rng.randint(1, 3)
        # Small store batches: with the default (100 a transaction, committed each second)
        # a few commits store the whole mirror and the later kills land after the crawl.
        killed += kill_when(args, lambda target=target: count(db_path, stored_sql) >= target, rng.uniform(0, 0.1),
                            env={"PROVNEWS_STORE_BATCH_SIZE": "2"})
        assert_pointers_resolve(db_path)
        stored.append(count(db_path, stored_sql))
    # The kills landed while articles were being stored, not only before or after.
    assert killed == KILLS and all(0 < n < len(mirror_articles()) for n in stored), stored
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_path) as conn:
        urls = {row[0] for row in conn.execute("SELECT url FROM articles")}
        assert conn.execute("SELECT count(*) FROM articles WHERE archive_id IS NULL").fetchone() == (0,)
    assert urls == mirror_articles()
    assert assert_pointers_resolve(db_path) >= 2 * len(urls)
    # The last run cut every killed writer's file back to whole records.
    archive = db_path.parent / "provnews-archive"
    assert not list(archive.glob("*.writing"))
    checked = subprocess.run([WARCIO, "check", *map(str, archive.glob("*.warc.gz"))], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_kill_9_during_reextraction(tmp_path: Path) -> None:
    server = MirrorServer(SITES_DIR)
    server.start_background()
    db_path = tmp_path / "provnews.db"
    db = f"sqlite:///{db_path}"
    try:
        # Every mirrored outlet: enough articles that ten kills all land mid-work.
        assert run_cli("crawl", "--all", "--mirror", server.url, "--db", db).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
    with sqlite3.connect(db_path) as conn:
        original = dict(conn.execute("SELECT id, text FROM articles"))
        # Texts an older extractor got wrong: re-extraction must put each right, once.
        conn.execute("UPDATE articles SET text = 'stale', content_hash = 'stale', extractor_version = 'old'")
    rng = random.Random(1717)
    progress, killed = [], 0
    done_sql = "SELECT count(*) FROM articles WHERE extractor_version != 'old'"
    for _ in range(KILLS):
        # Re-extraction runs fast: a short pause after 1 or 2 more, so ten kills land mid-work.
        target = count(db_path, done_sql) + rng.randint(1, 2)
        killed += kill_when(["reextract", "--workers", "2", "--db", db],
                            lambda target=target: count(db_path, done_sql) >= target, rng.uniform(0, 0.03),
                            env={"PROVNEWS_REEXTRACT_CHUNK": "1"})
        done = count(db_path, done_sql)
        assert done == count(db_path, "SELECT count(*) FROM articles WHERE text != 'stale'")  # whole chunks only
        assert_pointers_resolve(db_path)
        progress.append(done)
    assert killed == KILLS and all(0 < n < len(original) for n in progress), progress
    result = run_cli("reextract", "--workers", "2", "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kept"] == {}
    with sqlite3.connect(db_path) as conn:
        assert dict(conn.execute("SELECT id, text FROM articles")) == original
        per_article = conn.execute("SELECT article_id, count(*) FROM article_versions WHERE origin = 'reextract' "
                                   "GROUP BY article_id").fetchall()
    assert len(per_article) == len(original) and {n for _, n in per_article} == {1}
    assert json.loads(run_cli("reextract", "--format", "json", "--db", db).stdout)["selected"] == 0
