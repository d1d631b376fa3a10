"""Adaptive cadence: poll an outlet more often when its runs find much that is new,
less often when they find nothing, within bounds around its configured interval.

Only interval schedules adapt; a cron schedule is the operator's explicit choice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.registry import Outlet
from crawler.scheduling.plan import _ANCHOR as ANCHOR
from crawler.scheduling.plan import DEFAULT_INTERVAL_MINUTES

logger = logging.getLogger(__name__)

MIN_FACTOR, MAX_FACTOR = 0.25, 4.0   # never below a quarter, never above four times the base
SLOWER, FASTER = 1.5, 0.5            # the step after an empty run, after a busy one
BUSY_SHARE = 0.5                     # a run is busy when half of the URLs it saw were new


def base_interval(outlet: Outlet) -> int | None:
    """The configured interval in minutes, or None for a cron schedule."""
    if outlet.schedule is None:
        return DEFAULT_INTERVAL_MINUTES
    return outlet.schedule.interval_minutes


def next_interval(base: int, previous: int | None, new: int, discovered: int) -> int:
    current = float(previous or base)
    if new == 0:
        current *= SLOWER
    elif discovered and new / discovered >= BUSY_SHARE:
        current *= FASTER
    return max(1, round(min(max(current, base * MIN_FACTOR), base * MAX_FACTOR)))


def adapt_job(scheduler: BaseScheduler, outlet_key: str, minutes: int | None) -> bool:
    """Give an interval job the cadence its latest run chose; True when it changed."""
    job = scheduler.get_job(outlet_key)
    if minutes is None or job is None or not isinstance(job.trigger, IntervalTrigger):
        return False
    if job.trigger.interval == timedelta(minutes=minutes):
        return False
    tz = job.trigger.timezone
    scheduler.modify_job(outlet_key, misfire_grace_time=minutes * 60)
    scheduler.reschedule_job(outlet_key, trigger=IntervalTrigger(
        minutes=minutes, start_date=datetime(*ANCHOR, tzinfo=tz), timezone=tz))
    logger.info("outlet %s: cadence now every %d min (adaptive)", outlet_key, minutes)
    return True
