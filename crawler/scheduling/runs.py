"""One scheduled crawl: a ``python -m crawler crawl OUTLET`` subprocess with a time limit.

A Twisted reactor cannot be restarted, so every crawl is its own process
(a new one per crawl). The child is started in a new session, i.e.
its own process group, so a crawl that outlives its time limit is stopped with its
whole group: SIGTERM (the crawl's graceful stop), then SIGKILL after ``kill_grace_s``,
and SIGKILL once more for anything left in the group. The outcome is the word of
``crawler.core.outcome``:

- ``ok``, ``partial``, ``failed``, ``interrupted``: what the crawl's exit code says
  (any exit code of no outcome is ``failed``, kept in ``exit_code``), except that
  a crawl stopped because the scheduler itself is shutting down is ``interrupted``
  (not the outlet's fault; a ledger should not count it as a failure);
- ``timed_out``: stopped at the time limit; its ledger row, which the stopped crawl
  closed as ``interrupted`` (or left ``running`` when killed), is set to ``timed_out``
  here, so that the ledger says what happened.

The child gets the database URL through ``PROVNEWS_DATABASE_URL`` rather than
``--db``, so a password in the URL never shows in ``ps``, and ``PROVNEWS_TRIGGER``
(``schedule`` for a scheduled run, ``manual`` for ``schedule trigger``) for the
crawl ledger; ``--sources`` and
``--mirror`` go on its command line. Its stdout and stderr go to a temporary file
(no pipe to drain, no deadlock); the tail is kept in the outcome for the log.

``scheduled_crawl`` is the job function stored (by reference) in the persistent job
store, so it is a module-level function of plain arguments, and it deliberately does
not take the database URL: that would put a password into the ``apscheduler_jobs``
table. It reads the URL from ``PROVNEWS_DATABASE_URL``, which ``schedule run`` sets.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from crawler.core.outcome import Outcome, outcome_of_exit
from storage import crawlstate
from storage.engine import DATABASE_URL_ENV, StorageError, make_engine
from storage.engine import database_url as resolve_database_url

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT_S = 3600
TRIGGER_ENV = "PROVNEWS_TRIGGER"
# Set by a scheduler started for some outlets only (`schedule run OUTLET…`): the other
# outlets' jobs stay in the store, and their turns pass without a crawl.
SCHEDULE_ONLY_ENV = "PROVNEWS_SCHEDULE_ONLY"
KILL_GRACE_S = 10.0
TAIL_CHARS = 4000


@dataclass(frozen=True)
class CrawlOutcome:
    outlet: str
    outcome: Outcome
    exit_code: int | None
    started_at: float          # Unix time
    elapsed_s: float
    pid: int | None = None
    output_tail: str = ""

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["elapsed_s"] = round(self.elapsed_s, 2)
        return data

    def describe(self) -> str:
        detail = {"ok": "", "partial": " (some fetches failed)", "failed": f" (exit code {self.exit_code})",
                  "timed_out": " (time limit reached; process group killed)",
                  "interrupted": " (scheduler shutting down)"}[self.outcome]
        return f"crawl {self.outlet}: {self.outcome}{detail} after {self.elapsed_s:.1f} s"


class ChildProcesses:
    """The crawl subprocesses running now, so that a shutdown can stop them.

    Once ``stop_all`` has been called no new child starts (a job queued in the
    thread pool behind the running ones returns ``interrupted`` at once).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.stopping = False

    def spawn(self, argv: Sequence[str], **popen_args: object) -> subprocess.Popen[bytes] | None:
        with self._lock:
            if self.stopping:
                return None
            process = subprocess.Popen(list(argv), start_new_session=True, **popen_args)  # type: ignore[call-overload]
            self._running.add(process)
            return process

    def forget(self, process: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(process)

    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self._running]

    def stop_all(self, grace_s: float = KILL_GRACE_S) -> None:
        with self._lock:
            self.stopping = True
            running = list(self._running)
        for process in running:
            logger.info("stopping crawl process group %d", process.pid)
            stop_group(process, grace_s)

    def reopen(self) -> None:
        """Allow new children again (a scheduler started anew in the same process)."""
        with self._lock:
            self.stopping = False


CHILDREN = ChildProcesses()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM the child's process group, SIGKILL it after ``grace_s``, and reap the child."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    # Grandchildren may outlive a child that obeyed SIGTERM: the group goes either way.
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def crawl_command(outlet: str, sources: str | None = None, mirror: str | None = None,
                  since: str | None = None) -> list[str]:
    argv = [sys.executable, "-m", "crawler", "crawl", outlet]
    if sources:
        argv += ["--sources", sources]
    if mirror:
        argv += ["--mirror", mirror]
    if since:
        argv += ["--since", since]
    return argv


def _wait(process: subprocess.Popen[bytes], time_limit_s: float, watch: Callable[[], bool] | None,
          watch_every_s: float) -> bool:
    """Wait for the child; True when it ended, False when ``watch`` said stop (the caller
    lost what the child runs under). Raises TimeoutExpired at the time limit."""
    if watch is None:
        process.wait(timeout=time_limit_s)
        return True
    deadline = time.monotonic() + time_limit_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise subprocess.TimeoutExpired(process.args, time_limit_s)
        try:
            process.wait(timeout=min(remaining, watch_every_s))
            return True
        except subprocess.TimeoutExpired:
            if not watch():
                return False


def run_command(
    outlet: str,
    argv: Sequence[str],
    *,
    time_limit_s: float,
    env: dict[str, str] | None = None,
    kill_grace_s: float = KILL_GRACE_S,
    children: ChildProcesses | None = None,
    on_start: Callable[[int], None] | None = None,
    watch: Callable[[], bool] | None = None,
    watch_every_s: float = 5.0,
) -> CrawlOutcome:
    """Run ``argv`` in its own process group for at most ``time_limit_s`` seconds; with
    ``watch``, ask it every ``watch_every_s`` and stop the child (``interrupted``) when it
    says False."""
    children = children or CHILDREN
    started, clock = time.time(), time.monotonic()
    with tempfile.TemporaryFile() as output:
        process = children.spawn(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                 env=env)
        if process is None:
            return CrawlOutcome(outlet, "interrupted", None, started, 0.0)
        if on_start:
            on_start(process.pid)
        try:
            try:
                ended = _wait(process, time_limit_s, watch, watch_every_s)
                if not ended:
                    stop_group(process, kill_grace_s)
                code: int | None = process.returncode
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out, ended = True, True
                stop_group(process, kill_grace_s)
                code = process.returncode
        finally:
            children.forget(process)
        elapsed = time.monotonic() - clock
        output.seek(0, os.SEEK_END)
        output.seek(max(0, output.tell() - TAIL_CHARS))
        tail = output.read().decode("utf-8", "replace")
    if timed_out:
        outcome: Outcome = "timed_out"
    elif (code != 0 and children.stopping) or not ended:
        outcome = "interrupted"
    else:
        outcome = outcome_of_exit(code) or "failed"  # type: ignore[arg-type]
    return CrawlOutcome(outlet, outcome, code, started, elapsed, process.pid, tail)


def run_crawl(
    outlet: str,
    *,
    database_url: str,
    sources: str | None = None,
    mirror: str | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    kill_grace_s: float = KILL_GRACE_S,
    trigger: str = "manual",
    on_start: Callable[[int], None] | None = None,
    since: str | None = None,
    extra_env: dict[str, str] | None = None,
    children: ChildProcesses | None = None,
    watch: Callable[[], bool] | None = None,
) -> CrawlOutcome:
    """Crawl one outlet in a subprocess and return what happened (never raises for the crawl's faults).

    ``extra_env``, ``children`` and ``watch`` are for a worker's job (``crawler.workers``):
    the worker's name for the ledger, children that die with the worker, and the outlet
    lock's probe."""
    env = {**os.environ, DATABASE_URL_ENV: database_url, TRIGGER_ENV: trigger, **(extra_env or {})}
    result = run_command(outlet, crawl_command(outlet, sources, mirror, since), time_limit_s=time_limit_s, env=env,
                         kill_grace_s=kill_grace_s, on_start=on_start, children=children, watch=watch)
    if result.outcome == "timed_out" and result.pid is not None:
        _record_timeout(database_url, result)
    return result


def _record_timeout(database_url: str, result: CrawlOutcome) -> None:
    """The stopped crawl could not know why it was stopped: say so in its ledger row."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            crawlstate.close_runs_of(session, result.pid, datetime.fromtimestamp(result.started_at, UTC),
                                     "timed_out")
    except (StorageError, OSError) as exc:  # the next run of the outlet reaps the row as "killed"
        logger.warning("could not record the time-out of %s: %s", result.outlet, exc)
    finally:
        engine.dispose()


def _log_start(outlet: str) -> Callable[[int], None]:
    return lambda pid: logger.info("crawl %s: started (pid %d)", outlet, pid)


def log_outcome(result: CrawlOutcome) -> None:
    if result.outcome == "ok":
        logger.info(result.describe())
    else:
        tail = result.output_tail.strip().splitlines()[-10:]
        logger.warning("%s%s", result.describe(), "".join(f"\n    | {line}" for line in tail))


def scheduled_crawl(outlet: str, sources: str | None = None, mirror: str | None = None,
                    time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> dict[str, object]:
    """The job function of every scheduled crawl (stored by reference; plain arguments only).

    Returns the outcome as a dict: the scheduler's job-executed listener receives it.
    """
    only = os.environ.get(SCHEDULE_ONLY_ENV)
    if only is not None and outlet not in only.split(","):
        logger.info("crawl %s: not run (this scheduler runs only %s)", outlet, only)
        return {"outlet": outlet, "outcome": "skipped"}
    result = run_crawl(outlet, database_url=resolve_database_url(None), sources=sources, mirror=mirror,
                       time_limit_s=time_limit_s, trigger="schedule", on_start=_log_start(outlet))
    log_outcome(result)
    return result.as_json()
