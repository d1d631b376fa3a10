"""The scheduler: APScheduler 3 with a ``SQLAlchemyJobStore`` in the project database.

``schedule run`` is a ``BackgroundScheduler`` plus a main thread that owns
everything else: the single-scheduler lock and its heartbeat, a wake-up of the
scheduler on every heartbeat (so ``schedule pause/resume`` made by another process
take effect within one heartbeat), and the shutdown on SIGTERM/SIGINT. Signal
handlers only set an event; the main thread then stops the running crawl process
groups, calls ``shutdown(wait=True)`` and releases the lock. (With a
``BlockingScheduler`` the main thread would be inside APScheduler's loop, and the
shutdown would have to run inside the signal handler, possibly while the loop
holds the job-store lock.)

Jobs: one per outlet, id = outlet key, ``coalesce=True``, ``max_instances=1``,
``misfire_grace_time`` = the job's own longest gap (see ``plan``).
``sync_jobs`` reconciles the store with the registry at every start:

- a new outlet gets a job (``replace_existing=True``);
- an unchanged job is left untouched, so its pending ``next_run_time`` survives a
  restart: that is what makes the one catch-up run after downtime happen (adding
  it afresh would recompute the next run from "now" and silently skip it);
- a changed job (cadence, crawl options) is replaced, keeping its paused state,
  and its pending run time when the cadence itself did not change;
- the job of an outlet that left the registry is removed; with ``prune=False``
  (``schedule run OUTLET…``) the other outlets' jobs are kept as they are, and this
  scheduler runs only the named ones (``runs.SCHEDULE_ONLY_ENV``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref, undefined
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.core.outcome import RAN_TO_END
from crawler.scheduling.cadence import adapt_job
from crawler.scheduling.lock import HEARTBEAT_S, SchedulerLock
from crawler.scheduling.plan import JobSpec
from crawler.scheduling.runs import (
    CHILDREN,
    DEFAULT_TIME_LIMIT_S,
    KILL_GRACE_S,
    SCHEDULE_ONLY_ENV,
    scheduled_crawl,
)
from storage import crawlstate
from storage.engine import DATABASE_URL_ENV, StorageError, make_engine, safe_url

logger = logging.getLogger(__name__)

DISPLAY_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BROKER_URL_ENV = "PROVNEWS_BROKER_URL"   # read by the enqueueing job function
DEFAULT_MAX_PARALLEL = 4
JOBS_TABLE = "apscheduler_jobs"
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


class JobStoreEditor(BaseScheduler):
    """A scheduler that never runs jobs: no thread, and ``wakeup`` does nothing.

    ``schedule list/pause/resume`` edit the store through it. A ``BackgroundScheduler``
    started paused would not do: its loop thread, woken by an edit, can run
    ``_process_jobs`` just after ``shutdown()`` has set the state to stopped (the
    paused check no longer holds), fail to submit a due job to the closed executor
    and still advance the job's next run time, silently consuming that run.
    """

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass


def build_scheduler(engine: Engine, *, scheduler_class: type[BaseScheduler] = BackgroundScheduler,
                    max_parallel: int = DEFAULT_MAX_PARALLEL, executor: Any = None) -> BaseScheduler:
    """A scheduler whose job store is the ``apscheduler_jobs`` table of ``engine``'s database."""
    return scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": executor or ThreadPoolExecutor(max_workers=max_parallel)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone=DISPLAY_TZ,
    )


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{len(v)} {k} ({', '.join(v)})" for k, v in vars(self).items() if v]
        return "; ".join(parts) or "no jobs"


def sync_jobs(scheduler: BaseScheduler, specs: Sequence[JobSpec], *, sources: str | None = None,
              mirror: str | None = None, time_limit_s: int = DEFAULT_TIME_LIMIT_S,
              func: Callable[..., Any] = scheduled_crawl, prune: bool = True) -> SyncReport:
    """Make the (started) scheduler's store hold one job per spec, and (``prune``) no other."""
    report, wanted = SyncReport(), {s.outlet for s in specs}
    for spec in specs:
        args = (spec.outlet, sources, mirror, int(time_limit_s))
        options = dict(trigger=spec.trigger, id=spec.outlet, name=spec.name, args=args,
                       misfire_grace_time=spec.misfire_grace_s, coalesce=True, max_instances=1,
                       replace_existing=True)
        existing = scheduler.get_job(spec.outlet)
        if existing is None:
            scheduler.add_job(func, **options)
            report.added.append(spec.outlet)
            continue
        same_cadence = existing.name == spec.name and repr(existing.trigger) == repr(spec.trigger)
        if (same_cadence and tuple(existing.args) == args and existing.func_ref == obj_to_ref(func)
                and existing.misfire_grace_time == spec.misfire_grace_s):
            report.unchanged.append(spec.outlet)
            continue
        if existing.next_run_time is None:
            next_run_time: Any = None                      # paused stays paused
        elif same_cadence:
            next_run_time = existing.next_run_time         # keep a pending (maybe overdue) run
        else:
            next_run_time = undefined                      # from the new trigger
        scheduler.add_job(func, next_run_time=next_run_time, **options)
        report.changed.append(spec.outlet)
    for job in scheduler.get_jobs() if prune else ():
        if job.id not in wanted:
            scheduler.remove_job(job.id)
            report.removed.append(job.id)
    return report


def _cadence(job: Any) -> tuple[str, str]:
    """(cadence, time zone) of a stored job. The zone comes from the name ``crawl KEY:
    CADENCE (ZONE)`` given by ``JobSpec.name``; an interval job's cadence from its
    trigger, which adaptive scheduling changes (the name keeps the registry's)."""
    _, _, rest = str(job.name).partition(": ")
    cadence, _, zone = rest.rpartition(" (")
    if isinstance(job.trigger, IntervalTrigger):
        cadence = f"every {int(job.trigger.interval.total_seconds() // 60)} min"
    return (cadence, zone.rstrip(")")) if cadence else (str(job.trigger), "")


def job_rows(scheduler: BaseScheduler, specs: Sequence[JobSpec] = ()) -> list[dict[str, Any]]:
    """For ``schedule list``: the stored jobs (next run in +07:00, paused or not), then
    the registry's plan for outlets with no job yet (``scheduled`` false), so the plan
    shows before any ``schedule run``."""
    rows = []
    for job in sorted(scheduler.get_jobs(), key=lambda j: j.id):
        cadence, zone = _cadence(job)
        args = list(job.args) + [None] * (4 - len(job.args))
        rows.append({
            "outlet": job.id, "scheduled": True, "cadence": cadence, "timezone": zone,
            "next_run": job.next_run_time.astimezone(DISPLAY_TZ).isoformat(timespec="seconds")
            if job.next_run_time else None,
            "paused": job.next_run_time is None,
            "misfire_grace_s": job.misfire_grace_time, "time_limit_s": args[3],
            "sources": args[1], "mirror": args[2],
        })
    stored, now = {row["outlet"] for row in rows}, datetime.now(DISPLAY_TZ)
    for spec in specs:
        if spec.outlet not in stored:
            first = spec.trigger.get_next_fire_time(None, now)
            rows.append({"outlet": spec.outlet, "scheduled": False, "cadence": spec.cadence, "timezone": spec.timezone,
                         "next_run": first.astimezone(DISPLAY_TZ).isoformat(timespec="seconds") if first else None,
                         "paused": False, "misfire_grace_s": spec.misfire_grace_s, "time_limit_s": None,
                         "sources": None, "mirror": None})
    return rows


class SchedulerService:
    """``schedule run``: hold the lock, sync the jobs, run until ``stop()``."""

    def __init__(self, url: str, specs: Sequence[JobSpec], *, sources: str | None = None,
                 mirror: str | None = None, time_limit_s: int = DEFAULT_TIME_LIMIT_S,
                 max_parallel: int = DEFAULT_MAX_PARALLEL, heartbeat_s: float = HEARTBEAT_S,
                 kill_grace_s: float = KILL_GRACE_S, func: Callable[..., Any] = scheduled_crawl,
                 on_outcome: Callable[[dict[str, Any]], None] | None = None, only: bool = False,
                 broker_url: str | None = None):
        self.url, self.specs = url, list(specs)
        # With a broker the jobs enqueue crawls for workers (crawler.workers) instead of running them.
        self.broker_url = broker_url
        if broker_url:  # Celery is imported only when a broker is used
            from crawler.workers.enqueue import scheduled_enqueue
            func = scheduled_enqueue
        self.only = only  # the specs are a chosen few outlets: keep the other jobs, run none of them
        self.sources, self.mirror, self.time_limit_s = sources, mirror, time_limit_s
        self.max_parallel, self.heartbeat_s, self.kill_grace_s = max_parallel, heartbeat_s, kill_grace_s
        self.func, self.on_outcome = func, on_outcome
        self._stop = threading.Event()
        self._scheduler: BaseScheduler | None = None
        self._engine: Engine | None = None
        self.started = threading.Event()
        self.lost_lock = False

    def stop(self) -> None:
        """Ask the service to shut down (safe from a signal handler or another thread)."""
        self._stop.set()

    def _on_event(self, event: JobEvent) -> None:
        finished = event.code == EVENT_JOB_EXECUTED and isinstance(event.retval, dict)
        # Every run that went to its end recorded the cadence it chose in the ledger.
        if finished and event.retval.get("outcome") in RAN_TO_END and not self._stop.is_set():
            self._adapt(event.job_id)
        if event.code == EVENT_JOB_EXECUTED and self.on_outcome and isinstance(event.retval, dict):
            self.on_outcome(event.retval)
        elif event.code == EVENT_JOB_ERROR:
            logger.error("job %s raised %r", event.job_id, getattr(event, "exception", None))
        elif event.code == EVENT_JOB_MISSED:
            logger.warning("job %s: run of %s missed (outside its misfire grace)", event.job_id,
                           getattr(event, "scheduled_run_time", "?"))

    def _adapt(self, outlet_key: str) -> None:
        """Follow the cadence the crawl just recorded in the ledger (adaptive scheduling)."""
        if self._scheduler is None or self._engine is None:
            return
        try:
            with Session(self._engine) as session:
                minutes = crawlstate.last_interval(session, outlet_key, mirror=bool(self.mirror))
            adapt_job(self._scheduler, outlet_key, minutes)
        except Exception:  # noqa: BLE001 - a failed adaptation keeps the current cadence
            logger.exception("could not adapt the cadence of %s", outlet_key)

    def run(self) -> None:
        """Block until stopped. Raises LockHeld (another scheduler) or StorageError."""
        engine = make_engine(self.url)
        lock = SchedulerLock(engine, heartbeat_s=self.heartbeat_s)
        scheduler: BaseScheduler | None = None
        try:
            lock.acquire()
            # The job function reads the URL from here, so that it is never stored in the job table.
            os.environ[DATABASE_URL_ENV] = self.url
            if self.broker_url:
                os.environ[BROKER_URL_ENV] = self.broker_url
            CHILDREN.reopen()
            scheduler = build_scheduler(engine, max_parallel=self.max_parallel)
            self._scheduler, self._engine = scheduler, engine
            scheduler.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
                                   | EVENT_JOB_MAX_INSTANCES)
            scheduler.start(paused=True)
            if self.only:
                os.environ[SCHEDULE_ONLY_ENV] = ",".join(s.outlet for s in self.specs)
            else:
                os.environ.pop(SCHEDULE_ONLY_ENV, None)
            report = sync_jobs(scheduler, self.specs, prune=not self.only, sources=self.sources, mirror=self.mirror,
                               time_limit_s=self.time_limit_s, func=self.func)
            scheduler.resume()
            logger.info("scheduler started on %s (pid %d): jobs %s", safe_url(self.url), os.getpid(),
                        report.describe())
            self.started.set()
            self._beat(lock, scheduler)
        finally:
            self._shutdown(scheduler, lock, engine)

    def _beat(self, lock: SchedulerLock, scheduler: BaseScheduler) -> None:
        last_ok = time.monotonic()
        while not self._stop.wait(self.heartbeat_s):
            try:
                if not lock.heartbeat():
                    logger.error("scheduler lock taken over by another scheduler; stopping")
                    self.lost_lock = True
                    return
                last_ok = time.monotonic()
            except StorageError as exc:
                logger.warning("heartbeat failed: %s", exc)
                if time.monotonic() - last_ok > lock.stale_s:
                    logger.error("no heartbeat for %.0f s: the lock may be taken over; stopping", lock.stale_s)
                    self.lost_lock = True
                    return
            scheduler.wakeup()

    def _shutdown(self, scheduler: BaseScheduler | None, lock: SchedulerLock, engine: Engine) -> None:
        started = scheduler is not None and scheduler.running
        if started:
            # Pause first, so the loop thread submits nothing while the crawls are
            # stopped; a run submitted at this very moment comes back "interrupted"
            # with its fire time used up, as after a crash (at most once per fire time).
            scheduler.pause()  # type: ignore[union-attr]
            logger.info("scheduler stopping: %d crawl(s) running", len(CHILDREN.pids()))
            CHILDREN.stop_all(self.kill_grace_s)
            scheduler.shutdown(wait=True)  # type: ignore[union-attr]
        try:
            if not self.lost_lock:
                lock.release()
        finally:
            engine.dispose()
            if started:
                logger.info("scheduler stopped")
