"""What a worker runs: a crawl of one outlet under its lock, or a re-extraction.

Each job is a subprocess with a time limit, through the scheduler's own
``run_command`` (a Twisted reactor cannot restart, so one crawl is one process), with
two differences that matter when a worker can die at any moment:

- the child dies with the worker (Linux ``PR_SET_PDEATHSIG``): a crawl orphaned by a
  ``kill -9`` of its worker would go on fetching while the redelivered job crawls
  the same outlet on another worker, two crawlers on one host;
- a crawl runs only under its outlet's lock (``storage.outlet_lock``), probed every few
  seconds: a lock the database dropped (connection lost) stops the crawl, and the
  job goes back to the broker.

A crawl job for an outlet another job is crawling waits: it goes back to the broker
and is retried every few seconds (``retry_delay``; ``task.retry`` publishes the retry
before acknowledging the job, so no moment exists where it is on neither). When it
finally runs, the frontier makes it cheap: it fetches what the other crawl left.
Redelivery after a killed worker (same job, same outlet) goes the same way: the new
crawl reaps the dead run (its leases back to ``pending``) and continues it.

A job carries the time it was enqueued; once it holds the lock, a job whose outlet
has a run that started after that time and went to its end is done already (a
second delivery of a job that ran, a job that waited behind a crawl started after
it) and is acknowledged without crawling. The times come from two hosts' clocks: a
skew of seconds only moves which run counts.

A re-extraction needs no lock: it skips articles the current extractor already
produced, so a repeated or redelivered one only finishes what is left.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from celery import Celery, Task
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.scheduling.runs import (
    DEFAULT_TIME_LIMIT_S,
    ChildProcesses,
    CrawlOutcome,
    log_outcome,
    run_command,
    run_crawl,
)
from crawler.workers.app import CRAWL_TASK, REEXTRACT_TASK
from storage import crawlstate
from storage.engine import StorageError, make_engine
from storage.engine import database_url as resolve_database_url
from storage.outlet_lock import OutletLock

logger = logging.getLogger(__name__)

WORKER_ENV = "PROVNEWS_WORKER"     # the crawl records it in crawl_runs.worker
BUSY_RETRY_S = 10                  # a job for a busy outlet asks again this often (at most)
# A killed worker's lock goes with its connection at once, but its redelivered job may
# arrive while the server is still closing that session: wait a little before retrying.
LOCK_WAIT_S = 5.0
LOCK_POLL_S = 0.5
LOCK_PROBE_S = 5.0                 # how often a running crawl checks that its lock still holds
PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


class WorkerChildren(ChildProcesses):
    """Job subprocesses that receive SIGKILL when the worker thread that started them dies."""

    def spawn(self, argv: Sequence[str], **popen_args: object) -> subprocess.Popen[bytes] | None:
        if _LIBC is None:  # no such guarantee off Linux: the outlet lock still bounds the overlap
            return super().spawn(argv, **popen_args)
        parent = os.getpid()

        def die_with_parent() -> None:
            _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != parent:  # the worker died before prctl took effect
                os._exit(1)

        return super().spawn(argv, preexec_fn=die_with_parent, **popen_args)


CHILDREN = WorkerChildren()


def retry_delay(app: Celery) -> int:
    """How long a job for a busy outlet waits before asking again. Celery's worker holds
    a retry with a countdown unacknowledged until it runs, so with Redis the countdown
    must stay well below the visibility timeout, or Redis hands the waiting job out a
    second time (then a third…): a quarter of it, at most ``BUSY_RETRY_S``."""
    visibility = (app.conf.broker_transport_options or {}).get("visibility_timeout", 3600)
    return max(1, min(BUSY_RETRY_S, int(visibility) // 4))


def _take(lock: OutletLock) -> bool:
    deadline = time.monotonic() + LOCK_WAIT_S
    while not lock.acquire():
        if time.monotonic() >= deadline:
            return False
        time.sleep(LOCK_POLL_S)
    return True


def _done_since(engine: Engine, outlet: str, enqueued_at: float | None) -> int | None:
    if enqueued_at is None:
        return None
    with Session(engine) as session:
        return crawlstate.finished_run_since(session, outlet, datetime.fromtimestamp(enqueued_at, UTC))


def crawl_job(task: Task, outlet: str, *, sources: str | None, mirror: str | None, time_limit_s: float,
              since: str | None, trigger: str, enqueued_at: float | None = None) -> dict[str, Any]:
    """Crawl ``outlet`` under its lock; retried later when the outlet is busy, the lock is
    lost or the database does not answer (the job then waits on the broker, not lost)."""
    url = resolve_database_url(None)
    engine = make_engine(url)
    lock = OutletLock(engine, outlet)
    delay = retry_delay(task.app)
    try:
        if not _take(lock):
            logger.info("crawl %s: outlet busy with another job; asking again in %d s", outlet, delay)
            raise task.retry(countdown=delay)
        try:
            result = _crawl_locked(task, engine, url, outlet, sources=sources, mirror=mirror, since=since,
                                   time_limit_s=time_limit_s, trigger=trigger, enqueued_at=enqueued_at, lock=lock)
            lost = not lock.alive()
        finally:
            lock.release()
    except StorageError as exc:
        logger.error("crawl %s: %s; asking again in %d s", outlet, exc, delay)
        raise task.retry(countdown=delay) from exc
    finally:
        engine.dispose()
    if isinstance(result, dict):
        return result
    log_outcome(result)
    if lost:
        logger.warning("crawl %s: the outlet lock was lost (database connection); the job goes back", outlet)
        raise task.retry(countdown=delay)
    return _summary(result)


def _crawl_locked(task: Task, engine: Engine, url: str, outlet: str, *, sources: str | None, mirror: str | None,
                  since: str | None, time_limit_s: float, trigger: str, enqueued_at: float | None,
                  lock: OutletLock) -> CrawlOutcome | dict[str, Any]:
    """With the lock held: nothing when a later run did the job, else the crawl's outcome."""
    done = _done_since(engine, outlet, enqueued_at)
    if done is not None:
        logger.info("crawl %s: done by run %d since this job was enqueued; not crawled again", outlet, done)
        return {"outlet": outlet, "outcome": "skipped", "done_by_run": done}
    with Session(engine) as session, session.begin():
        dead = crawlstate.reap_worker_runs(session, outlet)
    if dead:
        logger.warning("crawl %s: runs %s of a dead worker closed as killed; their URLs are pending", outlet, dead)
    return run_crawl(outlet, database_url=url, sources=sources, mirror=mirror, since=since,
                     time_limit_s=time_limit_s, trigger=trigger, children=CHILDREN, watch=lock.alive,
                     extra_env={WORKER_ENV: task.request.hostname or ""})


def reextract_argv(*, outlet: str | None, since: str | None, until: str | None, ids: str | None,
                   everything: bool) -> list[str]:
    argv = [sys.executable, "-m", "crawler", "reextract", "--format", "json"]
    for option, value in (("--outlet", outlet), ("--since", since), ("--until", until), ("--ids", ids)):
        if value:
            argv += [option, value]
    return argv + (["--all"] if everything else [])


def reextract_job(outlet: str | None, since: str | None, until: str | None, ids: str | None,
                  everything: bool, time_limit_s: float) -> dict[str, Any]:
    argv = reextract_argv(outlet=outlet, since=since, until=until, ids=ids, everything=everything)
    result = run_command(f"reextract {outlet or ids or 'all'}", argv, time_limit_s=time_limit_s,
                         env=dict(os.environ), children=CHILDREN)
    log_outcome(result)
    return _summary(result)


def _summary(result: CrawlOutcome) -> dict[str, Any]:
    return {k: v for k, v in result.as_json().items() if k != "output_tail"}


def register(app: Celery) -> None:
    """Bind the two job kinds to ``app`` under their fixed names (``app.CRAWL_TASK``, …)."""

    @app.task(name=CRAWL_TASK, bind=True, max_retries=None)
    def crawl(self: Task, outlet: str, sources: str | None = None, mirror: str | None = None,
              time_limit_s: float = DEFAULT_TIME_LIMIT_S, since: str | None = None,
              trigger: str = "manual", enqueued_at: float | None = None) -> dict[str, Any]:
        return crawl_job(self, outlet, sources=sources, mirror=mirror, time_limit_s=time_limit_s, since=since,
                         trigger=trigger, enqueued_at=enqueued_at)

    @app.task(name=REEXTRACT_TASK)
    def reextract(outlet: str | None = None, since: str | None = None, until: str | None = None,
                  ids: str | None = None, everything: bool = False,
                  time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> dict[str, Any]:
        return reextract_job(outlet, since, until, ids, everything, time_limit_s)
