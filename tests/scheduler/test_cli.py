"""``provnews schedule``, through real subprocesses (each crawl needs its own reactor)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from crawler.core.registry import load_registry
from crawler.scheduling import JobStoreEditor, build_scheduler, plan_jobs, sync_jobs
from crawler.scheduling.plan import start_offset
from storage.engine import make_engine
from tests.conftest import run_cli, stored_urls
from tests.scheduler.test_runs import gone_soon

BAD_CRON = """outlets:
  - key: baothu
    name: Báo Thử
    province: Lạng Sơn
    base_url: https://baothu.vn
    article_url_pattern: '^https://baothu\\.vn/.+$'
    schedule: {cron: '0 25 * * *'}
"""


class Daemon:
    """``provnews schedule run`` in the background, its log in a file."""

    def __init__(self, tmp_path: Path, *args: str):
        self.log = tmp_path / f"daemon-{time.monotonic_ns()}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
        self.handle = self.log.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "crawler", "schedule", "run", *args],
                                        stdout=subprocess.DEVNULL, stderr=self.handle, env=env)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert self.process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"no {needle!r} in:\n{self.text()}"
            time.sleep(0.1)
        return self.text()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.handle.close()


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator:
    started: list[Daemon] = []

    def start(*args: str) -> Daemon:
        started.append(Daemon(tmp_path, *args))
        return started[-1]

    yield start
    for daemon in started:
        daemon.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a crawl against it hangs until stopped."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_bad_cron_is_refused_with_exit_3_naming_the_outlet(tmp_path: Path, db_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_CRON, encoding="utf-8")
    result = run_cli("schedule", "run", "--sources", str(bad), "--db", f"sqlite:///{db_path}")
    assert result.returncode == 3
    assert "outlet 'baothu': field 'schedule.cron'" in result.stderr
    assert "0 25 * * *" in result.stderr


def test_unknown_outlet_is_refused_with_exit_3(db_path: Path):
    result = run_cli("schedule", "run", "baolangson", "nowhere", "--db", f"sqlite:///{db_path}")
    assert result.returncode == 3
    assert "unknown outlet(s): 'nowhere'" in result.stderr


def test_run_list_pause_resume_second_scheduler_and_sigterm(daemons, db_path: Path):
    url = f"sqlite:///{db_path}"
    daemon = daemons("baolangson", "baocaobang", "--db", url)
    daemon.wait_for("scheduler started")

    second = run_cli("schedule", "run", "--db", url)
    assert second.returncode == 1
    assert "another scheduler is already running on this database" in second.stderr
    assert f"pid {daemon.process.pid}" in second.stderr

    listed = run_cli("schedule", "list", "--db", url, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["outlet"]: r for r in json.loads(listed.stdout) if r["scheduled"]}
    assert set(rows) == {"baolangson", "baocaobang"}
    assert rows["baolangson"]["cadence"] == "every 60 min" and not rows["baolangson"]["paused"]
    next_run = datetime.fromisoformat(rows["baolangson"]["next_run"])
    offset = start_offset("baolangson", 60)  # its place in the hour, the same on every start
    assert next_run.utcoffset() == timedelta(hours=7) and (next_run.minute, next_run.second) == (
        offset.seconds // 60, 0)
    assert f"scheduler running: pid {daemon.process.pid}" in listed.stderr

    assert run_cli("schedule", "pause", "baolangson", "--db", url).returncode == 0
    assert json.loads(run_cli("schedule", "list", "--db", url, "--format", "json").stdout)[1]["paused"]
    resumed = run_cli("schedule", "resume", "baolangson", "--db", url)
    assert resumed.returncode == 0 and "next run 20" in resumed.stderr
    assert run_cli("schedule", "pause", "baolaocai", "--db", url).returncode == 5   # no job for it
    table = run_cli("schedule", "list", "--db", url)
    assert "every 60 min" in table.stdout and "next run (+07:00)" in table.stdout

    started = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=10) == 0, daemon.text()
    assert time.monotonic() - started < 5
    assert "scheduler stopped" in daemon.text()
    with make_engine(url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM provnews_scheduler_lock")).scalar() == 0
    # and the next scheduler starts at once, keeping the stored jobs
    again = daemons("baolangson", "baocaobang", "--db", url)
    assert "2 unchanged" in again.wait_for("scheduler started")
    again.process.send_signal(signal.SIGINT)
    assert again.process.wait(timeout=10) == 0


@pytest.mark.slow
def test_sigterm_stops_a_running_crawl_and_exits_cleanly(daemons, db_path: Path, silent_server: str):
    url = f"sqlite:///{db_path}"
    # Seed the store as a previous run would have left it, with baolangson overdue.
    engine = make_engine(url)
    scheduler = build_scheduler(engine, scheduler_class=JobStoreEditor)
    scheduler.start(paused=True)
    sync_jobs(scheduler, plan_jobs(load_registry(), ["baolangson"]), mirror=silent_server)
    scheduler.modify_job("baolangson", next_run_time=datetime.now(timezone.utc) - timedelta(seconds=5))
    scheduler.shutdown(wait=False)
    engine.dispose()

    daemon = daemons("baolangson", "--db", url, "--mirror", silent_server)
    log = daemon.wait_for("crawl baolangson: started (pid ")
    crawl_pid = int(log.split("crawl baolangson: started (pid ")[1].split(")")[0])
    time.sleep(1)
    started = time.monotonic()
    daemon.process.send_signal(signal.SIGTERM)
    try:
        assert daemon.process.wait(timeout=20) == 0, daemon.text()
    except subprocess.TimeoutExpired:
        raise AssertionError(daemon.text()) from None
    elapsed = time.monotonic() - started
    assert gone_soon(crawl_pid)
    assert "crawl baolangson: interrupted" in daemon.text()
    assert elapsed < 12, f"took {elapsed:.1f} s"


@pytest.mark.slow
def test_trigger_crawls_the_mirror_into_the_database(mirror, db_path: Path):
    result = run_cli("schedule", "trigger", "baolangson", "--mirror", mirror.url, "--db", f"sqlite:///{db_path}",
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert (outcome["outlet"], outcome["outcome"], outcome["exit_code"]) == ("baolangson", "ok", 0)
    urls = stored_urls(db_path)
    assert len(urls) >= 40 and all(u.startswith("https://baolangson.vn/") for u in urls)
    assert "Crawl summary" in result.stderr            # the crawl's own report, passed on


def test_trigger_reports_a_failed_crawl(db_path: Path):
    result = run_cli("schedule", "trigger", "nowhere", "--db", f"sqlite:///{db_path}")
    assert result.returncode == 5
    result = run_cli("schedule", "trigger", "baolangson", "--db", "sqlite:////nonexistent/dir/x.db")
    assert result.returncode == 4


def test_schedule_list_shows_the_registry_plan_before_any_run(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    listed = run_cli("schedule", "list", "--db", url, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["outlet"]: r for r in json.loads(listed.stdout)}
    assert set(rows) == set(load_registry()) and not any(r["scheduled"] for r in rows.values())
    assert all(r["next_run"] for r in rows.values())
    assert rows["baolangson"]["cadence"] == "every 60 min"
    assert "no scheduler is running" in listed.stderr


def test_trigger_reports_a_timed_out_crawl_everywhere(db_path: Path, silent_server: str):
    url = f"sqlite:///{db_path}"
    result = run_cli("schedule", "trigger", "baolangson", "--mirror", silent_server, "--db", url,
                     "--time-limit", "12", "--format", "json")
    assert result.returncode == 9, result.stderr
    assert json.loads(result.stdout)["outcome"] == "timed_out"
    runs = json.loads(run_cli("runs", "--format", "json", "--db", url).stdout)
    assert [run["status"] for run in runs] == ["timed_out"]
    health = json.loads(run_cli("sources", "health", "--format", "json", "--db", url).stdout)
    assert next(row for row in health if row["outlet"] == "baolangson")["status"] == "timed_out"
