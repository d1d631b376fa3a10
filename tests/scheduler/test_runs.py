"""One crawl run: a subprocess in its own process group, with a time limit."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crawler.scheduling import runs
from crawler.scheduling.runs import ChildProcesses, crawl_command, run_command

# A stand-in crawl: starts a grandchild in its own process group, notes both pids, sleeps.
SLEEPER = textwrap.dedent("""
    import os, signal, subprocess, sys, time
    if sys.argv[2] == "ignore-term":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(sys.argv[1], "w") as f:
        f.write(f"{os.getpid()} {grandchild.pid}")
    print("crawling…", flush=True)
    time.sleep(120)
""")


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def gone_soon(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("mode", ["obey-term", "ignore-term"])
def test_a_crawl_past_its_time_limit_is_stopped_with_its_process_group(tmp_path: Path, mode: str):
    pids = tmp_path / "pids"
    started = time.monotonic()
    result = run_command("baolangson", [sys.executable, "-c", SLEEPER, str(pids), mode],
                         time_limit_s=1.5, kill_grace_s=1.0, children=ChildProcesses())
    assert result.outcome == "timed_out"
    assert time.monotonic() - started < 10
    assert "crawling…" in result.output_tail
    child, grandchild = map(int, pids.read_text().split())
    assert result.pid == child
    assert gone_soon(child) and gone_soon(grandchild)
    assert "time limit reached" in result.describe()


def test_outcomes_ok_and_failed_keep_the_exit_code():
    children = ChildProcesses()
    ok = run_command("a", [sys.executable, "-c", "print('fine')"], time_limit_s=30, children=children)
    assert (ok.outcome, ok.exit_code, ok.output_tail.strip()) == ("ok", 0, "fine")
    bad = run_command("b", [sys.executable, "-c", "import sys; sys.exit(4)"], time_limit_s=30, children=children)
    assert (bad.outcome, bad.exit_code) == ("failed", 4)
    assert "exit code 4" in bad.describe()
    assert children.pids() == []


def test_stop_all_interrupts_running_crawls_and_refuses_new_ones(tmp_path: Path):
    import threading
    children, results = ChildProcesses(), []
    pids = tmp_path / "pids"
    worker = threading.Thread(target=lambda: results.append(run_command(
        "a", [sys.executable, "-c", SLEEPER, str(pids), "obey-term"], time_limit_s=60, children=children)))
    worker.start()
    deadline = time.monotonic() + 10
    while not pids.exists() or not pids.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    children.stop_all(grace_s=2)
    worker.join(10)
    assert results[0].outcome == "interrupted"
    assert all(gone_soon(int(p)) for p in pids.read_text().split())
    late = run_command("b", [sys.executable, "-c", "pass"], time_limit_s=5, children=children)
    assert (late.outcome, late.pid) == ("interrupted", None)


def test_the_crawl_command_and_its_environment():
    argv = crawl_command("baolangson", "my.yaml", "http://127.0.0.1:8000")
    assert argv[1:] == ["-m", "crawler", "crawl", "baolangson", "--sources", "my.yaml",
                        "--mirror", "http://127.0.0.1:8000"]
    assert "--db" not in argv          # the URL (maybe with a password) goes by environment, not in ps
    assert os.path.basename(argv[0]).startswith("python")


def test_the_child_gets_database_url_and_trigger_by_environment(monkeypatch):
    seen = {}

    def fake_run_command(outlet, argv, *, env, **_):  # type: ignore[no-untyped-def]
        seen.update(argv=argv, env=env)
        return runs.CrawlOutcome(outlet, "ok", 0, 0.0, 0.0)

    monkeypatch.setattr(runs, "run_command", fake_run_command)
    monkeypatch.setenv("PROVNEWS_DATABASE_URL", "postgresql+psycopg://u:secret@db/provnews")
    assert runs.scheduled_crawl("baolangson", None, None, 60)["outcome"] == "ok"
    assert seen["env"]["PROVNEWS_DATABASE_URL"] == "postgresql+psycopg://u:secret@db/provnews"
    assert seen["env"]["PROVNEWS_TRIGGER"] == "schedule"
    assert not any("secret" in a for a in seen["argv"])
    runs.run_crawl("baolangson", database_url="sqlite:///x.db")
    assert seen["env"]["PROVNEWS_TRIGGER"] == "manual"
