"""A worker's job process: stopped when its lock is lost, killed with its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from crawler.scheduling.runs import run_command
from crawler.workers.jobs import WorkerChildren

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
