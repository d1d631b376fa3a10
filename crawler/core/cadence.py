"""Adaptive cadence, the arithmetic: poll an outlet more often when its runs find much
that is new, less often when they find nothing, within bounds around its configured
interval. Only interval schedules adapt; a cron schedule is the operator's explicit
choice. (The scheduler applies the result: ``crawler.scheduling.cadence``.)
"""

from __future__ import annotations

from crawler.core.registry import Outlet

DEFAULT_INTERVAL_MINUTES = 60        # an outlet without a schedule is crawled hourly
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
