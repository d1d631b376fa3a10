"""Scheduled crawls: APScheduler 3 with its job store in the project database.

- ``plan``: the registry's ``schedule`` fields turned into one job spec per outlet.
- ``runs``: one crawl = one ``python -m crawler crawl`` subprocess with a time limit.
- ``lock``: the single-scheduler lock row.
- ``service``: the scheduler itself (build, sync jobs, run until a signal).

A Twisted reactor cannot restart, so each crawl is a subprocess; a run missed while the
scheduler was down is made up once; one scheduler per database.
"""

from crawler.core.cadence import DEFAULT_INTERVAL_MINUTES
from crawler.scheduling.lock import LockHeld, SchedulerLock
from crawler.scheduling.plan import JobSpec, ScheduleError, plan_jobs
from crawler.scheduling.runs import CrawlOutcome, run_crawl, scheduled_crawl
from crawler.scheduling.service import (
    JobStoreEditor,
    SchedulerService,
    build_scheduler,
    job_rows,
    sync_jobs,
)

__all__ = [
    "DEFAULT_INTERVAL_MINUTES", "CrawlOutcome", "JobSpec", "JobStoreEditor", "LockHeld", "ScheduleError", "SchedulerLock",
    "SchedulerService", "build_scheduler", "job_rows", "plan_jobs", "run_crawl", "scheduled_crawl", "sync_jobs",
]
