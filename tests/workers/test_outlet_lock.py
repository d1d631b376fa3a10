"""The per-outlet lock: one holder at a time, gone with its holder's process (even
``kill -9``), on SQLite and PostgreSQL; and the request-log check the acceptance tests use."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bench.workers import Cluster
from storage.engine import make_engine
from storage.outlet_lock import OutletLock, lock_key, outlet_locked
from tests.storage.conftest import BACKENDS, backend_url

HOLD = """
import sys, time
from storage.engine import make_engine
from storage.outlet_lock import OutletLock
lock = OutletLock(make_engine(sys.argv[1]), "baolangson")
assert lock.acquire()
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    for url in backend_url(request.param, tmp_path):
        built = make_engine(url)
        yield built
        built.dispose()


def test_one_holder_at_a_time_and_free_after_release(engine: Engine):
    first, second = OutletLock(engine, "baolangson"), OutletLock(engine, "baolangson")
    other = OutletLock(engine, "baocaobang")
    assert first.acquire() and first.alive()
    assert not second.acquire()
    assert other.acquire()           # another outlet is another lock
    assert outlet_locked(engine, "baolangson")
    first.release()
    assert not outlet_locked(engine, "baolangson")
    assert second.acquire()
    second.release()
    other.release()


def test_the_lock_goes_with_a_killed_holder(engine: Engine):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, engine.url.render_as_string(hide_password=False)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not OutletLock(engine, "baolangson").acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10     # PostgreSQL ends the session when it sees the socket close
    while outlet_locked(engine, "baolangson"):
        assert time.monotonic() < deadline, "the lock outlived its killed holder"
        time.sleep(0.1)
    lock = OutletLock(engine, "baolangson")
    assert lock.acquire()
    lock.release()


def test_lock_keys_are_stable_signed_int4():
    assert lock_key("baolangson") == lock_key("baolangson") != lock_key("baocaobang")
    assert all(-2**31 <= lock_key(k) < 2**31 for k in ("a", "baolangson", "gen01", "x" * 200))


def test_the_request_log_check_finds_two_crawls_of_one_host_at_once(tmp_path: Path):
    cluster = Cluster(tmp_path, "sqlite://", None, [])  # type: ignore[arg-type]
    rows = [("a.vn", "w1/1", 0.0, 1.0), ("a.vn", "w1/1", 1.5, 2.0), ("a.vn", "w2/7", 2.5, 3.0),   # one after the other
            ("b.vn", "w1/2", 0.0, 1.0), ("b.vn", "w3/9", 0.5, 0.6), ("b.vn", "w1/2", 2.0, 2.1)]   # w3 inside w1's crawl
    cluster.request_log.write_text("".join(json.dumps({"host": h, "path": "/", "status": 200, "client": c,
                                                       "start": s, "end": e}) + "\n" for h, c, s, e in rows))
    found = cluster.overlaps()
    assert len(found) == 1 and found[0].startswith("b.vn: w1/2")
