"""Adaptive cadence: the interval follows the share of new articles, within bounds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.core.cadence import base_interval, next_interval
from crawler.core.registry import Schedule, load_registry
from crawler.scheduling.cadence import adapt_job
from crawler.scheduling.plan import job_spec
from crawler.scheduling.service import job_rows


@pytest.mark.parametrize(("previous", "new", "discovered", "expected"), [
    (None, 0, 40, 90),     # nothing new: poll less often
    (90, 0, 40, 135),
    (230, 0, 40, 240),     # …but never beyond four times the base
    (None, 30, 40, 30),    # mostly new: poll more often
    (20, 30, 40, 15),      # …but never below a quarter of the base
    (60, 5, 40, 60),       # some new: keep the pace
    (None, 3, 0, 60),      # new articles from the frontier alone: keep the pace
])
def test_next_interval(previous, new, discovered, expected):
    assert next_interval(60, previous, new, discovered) == expected


def test_only_interval_schedules_adapt():
    outlet = load_registry()["baolangson"]
    assert base_interval(outlet) == 60
    assert base_interval(outlet.model_copy(update={"schedule": Schedule(cron="0 6 * * *")})) is None


def test_adapt_job_reschedules_an_interval_job():
    outlet = load_registry()["baolangson"]
    spec = job_spec(outlet)
    scheduler = BackgroundScheduler()
    scheduler.add_job(print, spec.trigger, id=outlet.key, misfire_grace_time=spec.misfire_grace_s)
    scheduler.start(paused=True)
    try:
        assert adapt_job(scheduler, outlet.key, 90)
        job = scheduler.get_job(outlet.key)
        assert job.trigger.interval == timedelta(minutes=90) and job.misfire_grace_time == 90 * 60
        assert not adapt_job(scheduler, outlet.key, 90)
        assert not adapt_job(scheduler, outlet.key, None)
    finally:
        scheduler.shutdown(wait=False)


def test_schedule_list_shows_the_cadence_in_use():
    outlet = load_registry()["baolangson"]
    spec = job_spec(outlet)
    scheduler = BackgroundScheduler()
    scheduler.add_job(print, spec.trigger, id=outlet.key, name=spec.name, misfire_grace_time=spec.misfire_grace_s)
    scheduler.start(paused=True)
    try:
        assert adapt_job(scheduler, outlet.key, 90)
        (row,) = job_rows(scheduler)
        assert row["cadence"] == "every 90 min" and row["timezone"] == outlet.timezone
    finally:
        scheduler.shutdown(wait=False)
