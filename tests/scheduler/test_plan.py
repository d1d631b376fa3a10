"""Registry ``schedule`` fields → triggers and grace; bad schedules refused at load."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crawler.core.registry import RegistryError, Schedule, load_file, load_registry
from crawler.scheduling import DEFAULT_INTERVAL_MINUTES, ScheduleError, plan_jobs
from crawler.scheduling.plan import job_spec, start_offset
from tests.scheduler.conftest import outlet

ENTRY = """outlets:
  - key: baothu
    name: Báo Thử
    province: Lạng Sơn
    base_url: https://baothu.vn
    article_url_pattern: '^https://baothu\\.vn/.+$'
{schedule}
"""


def write(tmp_path: Path, schedule: str) -> Path:
    path = tmp_path / "outlets.yaml"
    path.write_text(ENTRY.format(schedule=schedule), encoding="utf-8")
    return path


@pytest.mark.parametrize("schedule, field", [
    ("    schedule: {cron: '61 * * * *'}", "schedule.cron"),
    ("    schedule: {cron: '*/15 * * *'}", "schedule.cron"),
    ("    schedule: {interval_minutes: 0}", "schedule.interval_minutes"),
    ("    schedule: {cron: '0 6 * * *', interval_minutes: 15}", "schedule"),
    ("    schedule: {}", "schedule"),
    ("    schedule: {every: 15}", "schedule.every"),
])
def test_a_bad_schedule_is_refused_naming_outlet_and_field(tmp_path: Path, schedule: str, field: str):
    with pytest.raises(RegistryError) as error:
        load_file(write(tmp_path, schedule))
    assert f"outlet 'baothu': field '{field}'" in str(error.value)


def test_an_unknown_outlet_is_refused_by_name():
    registry = load_registry()
    with pytest.raises(ScheduleError, match="unknown outlet.*'nowhere'"):
        plan_jobs(registry, ["baolangson", "nowhere"])


def test_every_builtin_outlet_gets_a_job():
    registry = load_registry()
    specs = plan_jobs(registry)
    assert [s.outlet for s in specs] == list(registry)
    assert plan_jobs(registry, ["baolangson"])[0].outlet == "baolangson"


def test_default_cadence_and_grace():
    spec = job_spec(outlet("baothu"))
    assert spec.cadence == f"every {DEFAULT_INTERVAL_MINUTES} min"
    assert spec.misfire_grace_s == DEFAULT_INTERVAL_MINUTES * 60


@pytest.mark.parametrize("cron, grace_s", [
    ("*/15 * * * *", 15 * 60),
    ("0 6 * * *", 24 * 3600),
    ("30 5-23 * * *", 6 * 3600),             # 23:30 → 05:30
    ("0 6 * * 1-5", 3 * 24 * 3600),          # Friday → Monday
])
def test_cron_grace_is_its_widest_gap(cron: str, grace_s: int):
    assert job_spec(outlet("baothu", Schedule(cron=cron))).misfire_grace_s == grace_s


def test_cron_runs_in_the_outlet_time_zone():
    """06:00 in Vietnam is 23:00 UTC the day before, whatever the host's zone."""
    trigger = job_spec(outlet("baothu", Schedule(cron="0 6 * * *"))).trigger
    after = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert trigger.get_next_fire_time(None, after) == datetime(2025, 3, 1, 23, 0, tzinfo=timezone.utc)
    other = job_spec(outlet("baothu", Schedule(cron="0 6 * * *"), timezone="Europe/Paris")).trigger
    assert other.get_next_fire_time(None, after).utcoffset() == timedelta(hours=1)


def test_interval_slots_do_not_depend_on_start_time():
    spec = job_spec(outlet("baothu", Schedule(interval_minutes=15)))
    vn = timezone(timedelta(hours=7))
    slot = datetime(2025, 3, 1, 9, 0, tzinfo=vn) + start_offset("baothu", 15)
    for started in (datetime(2025, 3, 1, 8, 59, 59, tzinfo=vn), slot - timedelta(minutes=14)):
        assert spec.trigger.get_next_fire_time(None, started) == slot


def test_start_times_are_spread_over_the_hour_and_the_same_every_time():
    registry = load_registry()
    now = datetime(2025, 3, 1, 9, 0, 30, tzinfo=timezone(timedelta(hours=7)))
    first = {key: job_spec(o).trigger.get_next_fire_time(None, now) for key, o in registry.items()
             if o.schedule is None}
    again = {key: job_spec(registry[key]).trigger.get_next_fire_time(None, now) for key in first}
    assert first == again
    assert len(first) >= 30 and len({t.minute for t in first.values()}) >= len(first) // 2


