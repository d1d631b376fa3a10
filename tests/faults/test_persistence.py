"""Persistence faults: a kill inside the store transaction, a
graceful stop, readers during writes, a leftover WAL, two crawls of one site at once,
and one URL twice in a batch. Each test asserts what is stored afterwards.

The site is bench.killload's synthetic one (4 hosts, feed + paginated listing),
served by the mirror; crawls are ``python -m crawler crawl`` subprocesses.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from bench import killload
from bench.killload import count_db, query_db
from crawler.core.record import ArticleRecord
from crawler.frontier import Frontier
from pipelines.store import StorePipeline
from storage import Database, open_database
from storage.search import search
from tests.faults.conftest import ROOT

ARTICLES = 200
OUTLETS = [killload.outlet_key(h) for h in range(1, killload.HOSTS + 1)]


@dataclass
class Site:
    server: killload.QuietMirrorServer
    sources: Path
    articles: list[killload.SyntheticArticle]

    def crawl_args(self, db: str) -> list[str]:
        return ["crawl", *OUTLETS, "--mirror", self.server.url, "--sources", str(self.sources), "--db", db]

    def article_hits(self) -> dict[str, int]:
        paths = {(killload.outlet_host(a.host), a.path): a.url for a in self.articles}
        return {paths[key]: n for key, n in self.server.hits.items() if key in paths}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    articles = killload.build_site(tmp_path / "sites", ARTICLES)
    server = killload.QuietMirrorServer(tmp_path / "sites")
    server.start_background()
    yield Site(server, tmp_path / "killload-sources.yaml", articles)
    server.shutdown()
    server.server_close()


def start(args: list[str], module: str = "crawler", **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={**killload._env(), **env})


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def assert_complete(db: Path, site: Site) -> None:
    """Every article once, nothing leased, the file intact."""
    assert {u for (u,) in query_db(db, "SELECT url FROM articles")} == {a.url for a in site.articles}
    assert query_db(db, "SELECT url_key FROM articles GROUP BY url_key HAVING COUNT(*) > 1") == []
    assert count_db(db, "SELECT COUNT(*) FROM frontier WHERE state = 'leased'") == 0
    assert query_db(db, "PRAGMA integrity_check") == [("ok",)]


def wait_for_rows(db: Path, rows: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while count_db(db, "SELECT COUNT(*) FROM articles") < rows:
        assert proc.poll() is None, "the crawl ended before it stored enough to be interrupted"
        assert time.monotonic() < deadline, "the crawl stored too little in time"
        time.sleep(0.05)


@pytest.mark.slow
def test_g2_g9_a_kill_inside_the_store_transaction_rolls_it_back_and_the_next_run_stores_it_once(
        site: Site, tmp_path: Path):
    db = tmp_path / "kill.sqlite"
    kill_at = 30
    rc, err = finish(start([str(kill_at), *site.crawl_args(f"sqlite:///{db}")],
                           module="tests.faults.kill_in_transaction"))
    assert rc == -signal.SIGKILL, err
    # G9: the kill left the write-ahead log behind; opening the file replays what was
    # committed, which is every article before the killed one (one commit each).
    assert Path(f"{db}-wal").stat().st_size > 0
    assert count_db(db, "SELECT COUNT(*) FROM articles") == kill_at - 1
    assert count_db(db, "SELECT COUNT(*) FROM frontier WHERE state = 'done'") == kill_at - 1
    unstored = query_db(db, "SELECT url FROM frontier WHERE state = 'leased' "
                         "AND url NOT IN (SELECT url FROM articles)")
    assert unstored, "the URL whose upsert was rolled back should still be leased"
    assert query_db(db, "PRAGMA integrity_check") == [("ok",)]

    rc, err = finish(start(site.crawl_args(f"sqlite:///{db}")))
    assert rc == 0, err
    assert_complete(db, site)


@pytest.mark.slow
def test_g3_sigterm_stops_cleanly_and_the_resume_fetches_nothing_already_stored(site: Site, tmp_path: Path):
    db = tmp_path / "term.sqlite"
    # Store batches of 2: with the default 100 a transaction, a quiet machine stored all 200
    # articles in a few commits before the stop landed (CI, 3 December), testing nothing.
    proc = start(site.crawl_args(f"sqlite:///{db}"), PROVNEWS_STORE_BATCH_SIZE="2")
    wait_for_rows(db, 20, proc)
    proc.send_signal(signal.SIGTERM)
    rc, err = finish(proc, timeout=60)
    assert rc == 130, err  # interrupted: the exit code says so
    stored = count_db(db, "SELECT COUNT(*) FROM articles")
    assert 20 <= stored < ARTICLES, "the stop came too late to test anything"
    assert count_db(db, "SELECT COUNT(*) FROM frontier WHERE state = 'leased'") == 0
    assert {s for (s,) in query_db(db, "SELECT DISTINCT status FROM crawl_runs")} <= {"interrupted", "ok"}
    done = {u for (u,) in query_db(db, "SELECT url FROM frontier WHERE state = 'done'")}

    site.server.clear_counts()
    rc, err = finish(start(site.crawl_args(f"sqlite:///{db}")))
    assert rc == 0, err
    assert_complete(db, site)
    assert not done & set(site.article_hits()), "a resumed run fetched articles it had stored"


@pytest.mark.slow
def test_g5_readers_never_block_or_fail_while_a_crawl_writes(site: Site, tmp_path: Path):
    db = tmp_path / "read.sqlite"
    database = open_database(f"sqlite:///{db}")  # migrated before the crawl starts
    latencies: list[float] = []
    errors: list[BaseException] = []
    proc = start(site.crawl_args(f"sqlite:///{db}"))

    def read() -> None:
        while proc.poll() is None:
            started = time.monotonic()
            try:
                with database.session() as session:
                    search(session, "lang son", limit=10)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
            latencies.append(time.monotonic() - started)
            time.sleep(0.01)

    reader = threading.Thread(target=read)
    reader.start()
    rc, err = finish(proc)
    reader.join()
    database.close()
    assert rc == 0, err
    assert errors == []
    assert len(latencies) > 20
    # WAL readers take no lock the writer holds: a blocked reader would wait out the
    # busy timeout (seconds); a loaded CI machine stays far below this.
    assert max(latencies) < 2.0, f"slowest read {max(latencies):.2f} s"
    assert_complete(db, site)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_g10_two_crawls_of_one_site_at_once_store_each_article_once(backend: str, site: Site, tmp_path: Path):
    from tests.storage.conftest import backend_url

    urls = backend_url(backend, tmp_path)
    url = next(urls)
    database = open_database(url)  # one migration, not two racing
    try:
        procs = [start(site.crawl_args(url)) for _ in range(2)]
        for proc in procs:
            rc, err = finish(proc)
            assert rc == 0, err
        with database.engine.connect() as connection:
            stored = [u for (u,) in connection.execute(sql("SELECT url FROM articles"))]
            leased = connection.execute(sql("SELECT COUNT(*) FROM frontier WHERE state = 'leased'")).scalar()
            if backend == "sqlite":
                assert connection.execute(sql("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        database.close()
        urls.close()
    assert sorted(stored) == sorted(a.url for a in site.articles)
    assert leased == 0
    # Leases split the work: no article was fetched by both runs.
    assert max(site.article_hits().values()) == 1


def _record(url: str, text: str) -> ArticleRecord:
    return ArticleRecord(url=url, outlet="baolangson", title="Tin Lạng Sơn", text=text,
                         word_count=len(text.split()), fetched_at=None)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_g11_one_url_twice_in_a_batch_is_one_row(backend: str, tmp_path: Path):
    from tests.storage.conftest import backend_url

    urls = backend_url(backend, tmp_path)
    database: Database = open_database(next(urls))
    try:
        pipeline = StorePipeline(Frontier(database, lease_seconds=600), batch_size=5, provinces={}, story_threshold=0.5)
        body = "Lạng Sơn đẩy mạnh xuất khẩu nông sản qua cửa khẩu Hữu Nghị. " * 8
        url = "https://baolangson.vn/a-1234567.html"
        for text in (body, body + " Cập nhật."):
            pipeline.process_item(_record(url, text))
        pipeline.process_item(_record("https://baolangson.vn/b-7654321.html", "Khác hẳn. " * 40))
        pipeline.flush()
        with database.session() as session:
            assert [h.url for h in search(session, "xuat khau")] == [url]
        with database.engine.connect() as connection:
            rows = connection.execute(sql("SELECT url, text FROM articles ORDER BY url")).all()
        assert [r.url for r in rows] == [url, "https://baolangson.vn/b-7654321.html"]
        assert rows[0].text.endswith("Cập nhật."), "the later copy in the batch wins"
    finally:
        database.close()
        urls.close()
