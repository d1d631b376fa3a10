"""`schedule run OUTLET…` leaves the other outlets' jobs alone and crawls none of them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crawler.core.registry import load_registry
from crawler.scheduling import (
    JobStoreEditor,
    build_scheduler,
    plan_jobs,
    runs,
    sync_jobs,
)
from crawler.scheduling.runs import SCHEDULE_ONLY_ENV, scheduled_crawl

KEYS = ["baolangson", "baocaobang", "baolaocai"]


def test_a_subset_keeps_the_other_jobs_as_they_were(store_engine: Engine):
    scheduler = build_scheduler(store_engine, scheduler_class=JobStoreEditor)
    scheduler.start(paused=True)
    try:
        sync_jobs(scheduler, plan_jobs(load_registry(), KEYS))
        scheduler.pause_job("baolaocai")
        before = {job.id: (job.next_run_time, job.args) for job in scheduler.get_jobs()}
        report = sync_jobs(scheduler, plan_jobs(load_registry(), ["baolangson"]), prune=False)
        assert report.removed == [] and report.unchanged == ["baolangson"]
        assert {job.id: (job.next_run_time, job.args) for job in scheduler.get_jobs()} == before
        assert sync_jobs(scheduler, plan_jobs(load_registry(), ["baolangson"])).removed == KEYS[1:]
    finally:
        scheduler.shutdown(wait=False)


def test_a_scheduler_for_some_outlets_crawls_no_other(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(SCHEDULE_ONLY_ENV, "baolangson")
    monkeypatch.setattr(runs, "run_crawl", lambda *a, **k: pytest.fail("crawled an outlet not named"))
    assert scheduled_crawl("baocaobang") == {"outlet": "baocaobang", "outcome": "skipped"}
