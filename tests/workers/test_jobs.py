"""A worker's job process: stopped when its lock is lost, killed with its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from crawler.scheduling.runs import run_command
from crawler.workers.app import make_app
from crawler.workers.jobs import WorkerChildren, crawl_job
from storage import crawlstate
from storage.database import open_database
from storage.engine import make_engine
from storage.outlet_lock import OutletLock, outlet_locked

PARENT = """
import sys, time
from crawler.workers.jobs import WorkerChildren
child = WorkerChildren().spawn([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:   # a zombie is dead too
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_a_job_whose_lock_is_lost_is_stopped_and_says_interrupted():
    probes = []

    def watch() -> bool:
        probes.append(time.monotonic())
        return len(probes) < 2           # the lock's connection fails at the second probe

    started = time.monotonic()
    result = run_command("baolangson", [sys.executable, "-c", "import time; time.sleep(60)"], time_limit_s=60,
                         children=WorkerChildren(), watch=watch, watch_every_s=0.2, kill_grace_s=2)
    assert result.outcome == "interrupted" and len(probes) == 2
    assert time.monotonic() - started < 10


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_job_process_dies_with_a_killed_worker():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, "the job process outlived its worker"
        time.sleep(0.1)


class Retry(Exception):
    pass


class FakeTask:
    """The bits of a bound Celery task that a crawl job uses."""

    def __init__(self) -> None:
        self.app = make_app("memory://", visibility_timeout=40)
        self.request = SimpleNamespace(hostname="w1@test")
        self.countdowns: list[int] = []

    def retry(self, countdown: int) -> Retry:
        self.countdowns.append(countdown)
        return Retry()


@pytest.fixture
def database(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'provnews.db'}"
    open_database(url).close()
    monkeypatch.setenv("PROVNEWS_DATABASE_URL", url)
    return url


def test_a_job_for_a_busy_outlet_goes_back_to_the_broker(database: str):
    engine = make_engine(database)
    holder = OutletLock(engine, "baolangson")
    assert holder.acquire()
    task = FakeTask()
    try:
        with pytest.raises(Retry):
            crawl_job(task, "baolangson", sources=None, mirror=None, time_limit_s=60, since=None, trigger="manual")
    finally:
        holder.release()
        engine.dispose()
    assert task.countdowns == [10]


def test_a_job_a_later_run_has_done_is_acknowledged_without_crawling(database: str):
    enqueued = time.time() - 30
    database_ = open_database(database)
    with database_.session() as session, session.begin():
        run = crawlstate.start_run(session, "baolangson", "schedule", worker="w2@test")
        crawlstate.finish_run(session, run, "ok")
    database_.close()
    result = crawl_job(FakeTask(), "baolangson", sources=None, mirror=None, time_limit_s=60, since=None,
                       trigger="manual", enqueued_at=enqueued)
    assert result == {"outlet": "baolangson", "outcome": "skipped", "done_by_run": run}
    engine = make_engine(database)
    assert not outlet_locked(engine, "baolangson")
    engine.dispose()
