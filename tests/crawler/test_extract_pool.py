"""The extraction pool (crawler.spiders.pool): pages are extracted in worker processes
with the same result as in the crawl process, and no worker outlives its crawl,
whether the crawl ends, is interrupted (SIGTERM: exit 130, no traceback) or killed
(SIGKILL of the crawl process alone); a worker killed under a page fails that page,
to be fetched again, and the crawl goes on with a fresh pool.

Every process of a crawl is found by a marker in its environment, which the crawl
process, the fork server and the workers all inherit (Linux: read from /proc)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from crawler.core.outcome import EXIT_CODES
from crawler.mirror.server import MirrorServer
from tests.conftest import run_cli

pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc (Linux)")

OUTLET = "baolangson"   # the bundled mirror's biggest outlet: 41 articles
WORKERS = 2
GONE_WITHIN_S = 5.0     # a worker polls for its crawl process every 0.5 s
MARK = "PROVNEWS_TEST_POOL_MARK"


def _marked(mark: str) -> dict[int, int]:
    """``{pid: parent pid}`` of the live processes whose environment carries ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry}/environ").read_bytes()
            state, parent = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:
            continue
        if needle in environ.split(b"\0") and state != "Z":
            found[int(entry)] = int(parent)
    return found


def _start(mirror: MirrorServer, db: Path, mark: str) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")},
           "PROVNEWS_EXTRACT_WORKERS": str(WORKERS), MARK: mark}
    return subprocess.Popen([sys.executable, "-m", "crawler", "crawl", OUTLET, "--mirror", mirror.url,
                             "--db", f"sqlite:///{db}"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_workers(process: subprocess.Popen, mark: str, timeout: float = 120) -> set[int]:
    """The workers once the pool runs: children of a child (the fork server) of the crawl process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        parents = _marked(mark)
        workers = {pid for pid, parent in parents.items() if parents.get(parent) == process.pid}
        if workers:
            return workers
        time.sleep(0.05)
    raise AssertionError("no extraction worker started")


def _wait_gone(mark: str) -> dict[int, int]:
    deadline = time.monotonic() + GONE_WITHIN_S
    while (left := _marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _articles(db: Path) -> dict[str, tuple]:
    with sqlite3.connect(db) as conn:
        return {url: rest for url, *rest in conn.execute(
            "SELECT url, title, content_hash, published_at, summary, word_count FROM articles")}


def test_workers_store_what_the_crawl_process_would(mirror: MirrorServer, tmp_path: Path):
    in_process = tmp_path / "in-process.db"
    assert run_cli("crawl", OUTLET, "--mirror", mirror.url, "--db", f"sqlite:///{in_process}",
                   env={"PROVNEWS_EXTRACT_WORKERS": "0"}).returncode == 0
    mark, pooled = uuid.uuid4().hex, tmp_path / "pooled.db"
    process = _start(mirror, pooled, mark)
    _wait_for_workers(process, mark)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert not _wait_gone(mark), "a worker outlived its crawl"
    expected = _articles(in_process)
    assert len(expected) >= 40
    assert _articles(pooled) == expected


def test_sigterm_stops_the_workers_with_the_crawl(mirror: MirrorServer, tmp_path: Path):
    mark, db = uuid.uuid4().hex, tmp_path / "p.db"
    process = _start(mirror, db, mark)
    _wait_for_workers(process, mark)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == EXIT_CODES["interrupted"], err
    assert "Traceback" not in err and "Unhandled error" not in err, err
    assert not _wait_gone(mark), "a worker outlived its interrupted crawl"
    with sqlite3.connect(db) as conn:
        assert [s for (s,) in conn.execute("SELECT status FROM crawl_runs")] == ["interrupted"]


def test_sigkill_of_the_crawl_process_leaves_no_worker(mirror: MirrorServer, tmp_path: Path):
    mark = uuid.uuid4().hex
    process = _start(mirror, tmp_path / "k.db", mark)
    _wait_for_workers(process, mark)
    process.kill()  # the crawl process alone, not its group
    process.communicate(timeout=30)
    assert not _wait_gone(mark), "orphaned extraction workers"


def test_a_worker_killed_fails_its_page_and_the_crawl_goes_on(mirror: MirrorServer, tmp_path: Path):
    mark, db = uuid.uuid4().hex, tmp_path / "w.db"
    process = _start(mirror, db, mark)
    os.kill(min(_wait_for_workers(process, mark)), signal.SIGKILL)
    _, err = process.communicate(timeout=300)
    assert "Traceback" not in err, err
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT url, state || ' ' || coalesce(reason, '') FROM frontier"))
        stored = {url for (url,) in conn.execute("SELECT url FROM articles")}
    lost = {url for url, state in states.items() if state == "failed not_extracted:worker_lost"}
    assert lost, states                      # the page under the worker, and any queued behind it
    assert not lost & stored                 # nothing half-stored
    assert {url for url, state in states.items() if state.startswith("done")} == stored
    assert len(stored) + len(lost) == len(states) >= 40   # the rest was extracted by the fresh pool
