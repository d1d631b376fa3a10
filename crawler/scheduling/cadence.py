"""Adaptive cadence, applied: a running scheduler's interval job takes the interval its
outlet's latest run chose (``crawler.core.cadence`` computes it)."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.scheduling.plan import interval_trigger

logger = logging.getLogger(__name__)

def adapt_job(scheduler: BaseScheduler, outlet_key: str, minutes: int | None) -> bool:
    """Give an interval job the cadence its latest run chose; True when it changed."""
    job = scheduler.get_job(outlet_key)
    if minutes is None or job is None or not isinstance(job.trigger, IntervalTrigger):
        return False
    if job.trigger.interval == timedelta(minutes=minutes):
        return False
    tz = job.trigger.timezone
    scheduler.modify_job(outlet_key, misfire_grace_time=minutes * 60)
    scheduler.reschedule_job(outlet_key, trigger=interval_trigger(outlet_key, minutes, tz))
    logger.info("outlet %s: cadence now every %d min (adaptive)", outlet_key, minutes)
    return True
