"""The real APScheduler job store and triggers under a fake clock (see conftest)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from crawler.core.registry import Schedule
from crawler.scheduling import plan, plan_jobs
from tests.scheduler import recorder
from tests.scheduler.conftest import VN, jittered, outlet, quarter_hourly

T0 = datetime(2025, 3, 1, tzinfo=VN)


@pytest.fixture(autouse=True)
def _on_the_quarter(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests check the rhythm on slots they can name (:00, :15, …); the per-outlet
    start offset is tested on its own (test_plan)."""
    monkeypatch.setattr(plan, "start_offset", lambda key, minutes: timedelta(0))

KEYS = ("baolangson", "baocaobang", "baolaocai")


def slots(start: datetime, end: datetime, step_min: int = 15) -> list[datetime]:
    out, t = [], start
    while t <= end:
        out.append(t)
        t += timedelta(minutes=step_min)
    return out


def test_a_day_of_quarter_hours_runs_each_slot_exactly_once(harness, clock):
    h = harness(quarter_hourly(*KEYS))
    h.run_until(T0 + timedelta(days=1) - timedelta(seconds=1), latency=jittered())
    expected = slots(T0, T0 + timedelta(hours=23, minutes=45))
    assert len(expected) == 96
    for key in KEYS:
        assert h.events.runs(key) == expected, key                  # none missed, none twice, in order
    assert Counter(c[0] for c in recorder.CALLS) == {k: 96 for k in KEYS}
    assert h.events.missed == []


def test_after_two_hours_down_each_job_catches_up_exactly_once(harness, clock):
    registry = quarter_hourly(*KEYS)
    first = harness(registry)
    first.run_until(T0 + timedelta(hours=10, seconds=30))
    first.stop()
    clock.now = T0 + timedelta(hours=12, minutes=7)                  # down 10:00:30 → 12:07

    second = harness(registry)
    assert sorted(second.report.unchanged) == sorted(KEYS)           # pending run times kept
    second.run_until(T0 + timedelta(hours=13, seconds=1))
    for key in KEYS:
        # the 10:15 … 12:00 slots collapse into one run (of the newest, 12:00), then the rhythm resumes
        assert second.events.runs(key) == [T0 + timedelta(hours=12)] + slots(
            T0 + timedelta(hours=12, minutes=15), T0 + timedelta(hours=13))
    assert second.events.missed == []
    assert Counter(c[0] for c in recorder.CALLS) == {k: 41 + 1 + 4 for k in KEYS}


def test_control_with_apschedulers_default_grace_the_catch_up_is_lost(harness, clock):
    """Why ``misfire_grace_time`` is set: with APScheduler's 1 s default the run is skipped."""
    registry = quarter_hourly(*KEYS)
    specs = [dataclasses.replace(s, misfire_grace_s=1) for s in plan_jobs(registry)]
    first = harness(registry, specs)
    first.run_until(T0 + timedelta(hours=10, seconds=30))
    first.stop()
    clock.now = T0 + timedelta(hours=12, minutes=7)
    second = harness(registry, specs)
    second.run_until(T0 + timedelta(hours=12, minutes=14))
    assert second.events.executed == []
    assert sorted(e.job_id for e in second.events.missed) == sorted(KEYS)


def test_restarts_keep_one_job_per_outlet_and_their_state(harness, clock, store_engine):
    registry = quarter_hourly(*KEYS)
    h = harness(registry)
    h.scheduler.pause_job("baocaobang")
    before = {j.id: j.next_run_time for j in h.scheduler.get_jobs()}
    h.stop()
    for _ in range(3):
        clock.advance(1)
        again = harness(registry)
        assert again.report.added == [] and again.report.changed == []
        assert {j.id: j.next_run_time for j in again.scheduler.get_jobs()} == before
        again.stop()
    with store_engine.connect() as connection:
        rows = connection.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id")).scalars().all()
    assert rows == sorted(KEYS)
    assert before["baocaobang"] is None                                # still paused


def test_changed_and_vanished_outlets_are_reconciled(harness, clock):
    h = harness(quarter_hourly(*KEYS))
    h.scheduler.pause_job("baolaocai")
    h.stop()
    changed = {
        "baolangson": outlet("baolangson", Schedule(cron="0 6 * * *")),     # new cadence
        "baolaocai": outlet("baolaocai", Schedule(interval_minutes=30)),    # new cadence, paused
    }
    again = harness(changed)
    assert again.report.changed == ["baolangson", "baolaocai"]
    assert again.report.removed == ["baocaobang"]
    jobs = {j.id: j for j in again.scheduler.get_jobs()}
    assert set(jobs) == {"baolangson", "baolaocai"}
    assert jobs["baolaocai"].next_run_time is None                        # stays paused
    assert jobs["baolangson"].next_run_time == T0 + timedelta(hours=6)    # 06:00 in +07:00
    assert jobs["baolangson"].misfire_grace_time == 24 * 3600


def test_default_cadence_is_hourly_on_the_hour(harness, clock):
    h = harness({"baolangson": outlet("baolangson")})
    h.run_until(T0 + timedelta(hours=3, seconds=1))
    assert h.events.runs("baolangson") == slots(T0, T0 + timedelta(hours=3), step_min=60)


def test_a_crawl_longer_than_its_interval_is_not_run_twice(harness, clock, monkeypatch):
    """max_instances=1: a run still going when the next slot comes skips that slot."""
    h = harness(quarter_hourly("baolangson"))
    executor = h.scheduler._lookup_executor("default")  # noqa: SLF001
    monkeypatch.setattr(executor, "_instances", {"baolangson": 1})     # a run is in progress
    h.run_until(T0 + timedelta(minutes=31))
    assert h.events.executed == []
    assert [e.code for e in h.events.other if getattr(e, "job_id", None) == "baolangson"].count(65536) == 3
