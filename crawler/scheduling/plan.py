"""From the registry to job specs: one job per outlet, its trigger and misfire grace.

A spec is pure data computed from the registry alone, so the same registry always
gives the same triggers: that is what lets a restarted scheduler recognise its
stored jobs as unchanged and keep their pending run times (see ``service.sync_jobs``).

- ``interval_minutes: N`` becomes an ``IntervalTrigger`` anchored at 2000-01-01 00:00
  in the outlet's zone plus the outlet's own offset (``start_offset``: whole minutes
  below N, from a hash of its key), so runs fall on fixed slots whenever the scheduler
  was started, instead of "N minutes after the last start", and 38 outlets on the
  default hour do not all fire at :00.
- ``cron: "…"`` becomes ``CronTrigger.from_crontab(…, timezone=outlet zone)``.
- No schedule: every ``DEFAULT_INTERVAL_MINUTES``.

``misfire_grace_time`` is the longest gap between two runs of the job (the interval,
or the widest gap of the cron over a year). APScheduler's default of 1 s skips a run
whose moment passed while the scheduler was down; with coalescing and a grace of one
full gap, the newest missed moment is always inside the grace, so a scheduler that
was down for hours or days runs each job exactly once on its return, then resumes
the normal rhythm.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.core.cadence import DEFAULT_INTERVAL_MINUTES
from crawler.core.registry import Outlet

ANCHOR = (2000, 1, 1)
# Enough cron fire times to see the widest gap of any crontab (a year of them, or
# the first 2000 for very frequent ones, whose gaps repeat daily anyway).
_GAP_SAMPLE_FIRES = 2000
_GAP_SAMPLE_SPAN = timedelta(days=400)


class ScheduleError(ValueError):
    """A schedule that cannot be loaded; the message names the outlet."""


@dataclass(frozen=True)
class JobSpec:
    outlet: str
    cadence: str             # for people: "every 15 min" or "cron '0 6 * * *'"
    timezone: str
    trigger: BaseTrigger
    misfire_grace_s: int

    @property
    def name(self) -> str:
        """The job's stored name; it changes exactly when the cadence does."""
        return f"crawl {self.outlet}: {self.cadence} ({self.timezone})"


def _max_cron_gap(trigger: CronTrigger, outlet: Outlet) -> timedelta:
    start = datetime(*ANCHOR, tzinfo=outlet.tz)
    previous = trigger.get_next_fire_time(None, start)
    if previous is None:
        raise ScheduleError(f"outlet '{outlet.key}': cron {outlet.schedule.cron!r} never fires")  # type: ignore[union-attr]
    widest, first = timedelta(0), previous
    for _ in range(_GAP_SAMPLE_FIRES):
        following = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1))
        if following is None:
            break
        widest = max(widest, following - previous)
        previous = following
        if previous - first > _GAP_SAMPLE_SPAN:
            break
    return widest


def start_offset(outlet_key: str, minutes: int) -> timedelta:
    """Where in each interval the outlet's runs fall: the same for a key on every host
    and every restart (CRC-32, not Python's salted ``hash``)."""
    return timedelta(minutes=zlib.crc32(outlet_key.encode()) % minutes)


def interval_trigger(outlet_key: str, minutes: int, tz: tzinfo) -> IntervalTrigger:
    start = datetime(*ANCHOR, tzinfo=tz) + start_offset(outlet_key, minutes)
    return IntervalTrigger(minutes=minutes, start_date=start, timezone=tz)


def job_spec(outlet: Outlet) -> JobSpec:
    schedule = outlet.schedule
    if schedule is not None and schedule.cron is not None:
        try:
            trigger: BaseTrigger = CronTrigger.from_crontab(schedule.cron, timezone=outlet.tz)
        except ValueError as exc:
            raise ScheduleError(f"outlet '{outlet.key}': field 'schedule.cron': {exc}") from exc
        gap = _max_cron_gap(trigger, outlet)
        cadence = f"cron '{schedule.cron}'"
    else:
        minutes = schedule.interval_minutes if schedule is not None else DEFAULT_INTERVAL_MINUTES
        assert minutes is not None  # the registry model guarantees one of the two
        trigger = interval_trigger(outlet.key, minutes, outlet.tz)
        gap = timedelta(minutes=minutes)
        cadence = f"every {minutes} min"
    return JobSpec(outlet.key, cadence, outlet.timezone, trigger, max(1, int(gap.total_seconds())))


def plan_jobs(registry: dict[str, Outlet], only: Iterable[str] | None = None) -> list[JobSpec]:
    """A spec for each outlet of the registry, or only for the keys in ``only``.

    Raises ScheduleError naming every key of ``only`` that is not in the registry.
    """
    keys = list(registry) if not only else list(dict.fromkeys(only))
    unknown = [k for k in keys if k not in registry]
    if unknown:
        raise ScheduleError("schedule names unknown outlet(s): " + ", ".join(f"'{k}'" for k in unknown)
                            + " (see `provnews sources list`)")
    return [job_spec(registry[k]) for k in keys]
