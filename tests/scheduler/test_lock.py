"""The single-scheduler lock row."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from crawler.scheduling import LockHeld, SchedulerLock
from crawler.scheduling.lock import current_holder


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_second_scheduler_is_refused_while_the_first_beats(store_engine):
    clock = Clock()
    first = SchedulerLock(store_engine, heartbeat_s=15, clock=clock)
    first.acquire()
    second = SchedulerLock(store_engine, heartbeat_s=15, clock=clock)
    for _ in range(5):
        clock.now += 15
        assert first.heartbeat()
        with pytest.raises(LockHeld, match=f"already running.*pid {first.pid} on host {first.host}"):
            second.acquire()
    assert current_holder(store_engine).owner == first.owner


def test_a_stale_lock_is_taken_over_and_the_old_holder_learns_it(store_engine):
    clock = Clock()
    first = SchedulerLock(store_engine, heartbeat_s=15, stale_after_beats=4, clock=clock)
    first.acquire()
    clock.now += 59                                   # 3 missed beats: still presumed alive
    with pytest.raises(LockHeld):
        SchedulerLock(store_engine, heartbeat_s=15, clock=clock).acquire()
    clock.now += 2                                    # past 60 s: presumed dead
    second = SchedulerLock(store_engine, heartbeat_s=15, clock=clock)
    second.acquire()
    assert not first.heartbeat()                      # the old holder must stop
    first.release()                                   # and cannot delete the new holder's row
    assert current_holder(store_engine).owner == second.owner


def test_release_frees_the_lock_at_once(store_engine):
    first = SchedulerLock(store_engine)
    first.acquire()
    first.release()
    SchedulerLock(store_engine).acquire()
    with store_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM provnews_scheduler_lock")).scalar() == 1


def test_no_table_means_no_holder(store_engine):
    assert current_holder(store_engine) is None
