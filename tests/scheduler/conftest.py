"""A controllable clock for APScheduler 3.11, and a scheduler driven step by step.

The seam: APScheduler reads the time only through ``datetime.now`` in
``schedulers/base.py`` (due jobs, next wake-up) and ``executors/base.py`` (the
misfire check); ``triggers/interval.py`` reads it only for an interval without a
start date, and ours always have one (``plan``). Those two module globals are replaced by a ``datetime`` subclass whose ``now`` reads a
``FakeClock``. ``ManualScheduler`` is a ``BaseScheduler`` with no thread and no
wake-up: the test calls ``_process_jobs()`` (APScheduler's own loop body, which
returns how long to sleep) and moves the clock by that much. Jobs run inline through
``DebugExecutor``, against the real ``SQLAlchemyJobStore`` on a SQLite file.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.events import (
    EVENT_ALL,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.debug import DebugExecutor
from sqlalchemy import Engine

from crawler.core.registry import Outlet, Schedule
from crawler.scheduling import JobStoreEditor, build_scheduler, plan_jobs, sync_jobs
from crawler.scheduling.plan import JobSpec
from storage.engine import make_engine
from tests.scheduler import recorder
from tests.storage.conftest import BACKENDS, backend_url

VN = timezone(timedelta(hours=7))


class FakeClock:
    def __init__(self, start: datetime):
        self.now = start

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class ManualScheduler(JobStoreEditor):
    """No thread, no wake-up: the test runs APScheduler's loop body itself."""


@dataclass
class Events:
    executed: list[JobExecutionEvent] = field(default_factory=list)
    missed: list[JobExecutionEvent] = field(default_factory=list)
    other: list[object] = field(default_factory=list)

    def __call__(self, event: object) -> None:
        code = getattr(event, "code", None)
        if code == EVENT_JOB_EXECUTED:
            self.executed.append(event)  # type: ignore[arg-type]
        elif code == EVENT_JOB_MISSED:
            self.missed.append(event)  # type: ignore[arg-type]
        else:
            self.other.append(event)

    def runs(self, outlet: str) -> list[datetime]:
        return [e.scheduled_run_time.astimezone(VN) for e in self.executed if e.job_id == outlet]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(datetime(2025, 3, 1, tzinfo=VN) - timedelta(seconds=1))

    class FakeDatetime(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return fake.now.astimezone(tz) if tz else fake.now.astimezone().replace(tzinfo=None)

    for module in (apscheduler.schedulers.base, apscheduler.executors.base):
        monkeypatch.setattr(module, "datetime", FakeDatetime)
    return fake


@pytest.fixture(params=BACKENDS)
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """SQLite, and PostgreSQL when ``PROVNEWS_TEST_POSTGRES_URL`` answers (a fresh schema)."""
    for url in backend_url(request.param, tmp_path):
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_recorder() -> None:
    recorder.CALLS.clear()


def outlet(key: str, schedule: Schedule | None = None, **extra: object) -> Outlet:
    return Outlet(key=key, name=key, province="Lạng Sơn", base_url=f"https://{key}.vn",
                  article_url_pattern=r"^https://x\.vn/.+$", schedule=schedule, **extra)


def quarter_hourly(*keys: str) -> dict[str, Outlet]:
    return {k: outlet(k, Schedule(interval_minutes=15)) for k in keys}


class Harness:
    """One scheduler "process" on the shared job store, at the fake clock's time."""

    def __init__(self, engine: Engine, clock: FakeClock, specs: list[JobSpec]):
        self.clock, self.events = clock, Events()
        self.scheduler = build_scheduler(engine, scheduler_class=ManualScheduler, executor=DebugExecutor())
        self.scheduler.add_listener(self.events, EVENT_ALL)
        self.scheduler.start(paused=True)
        self.report = sync_jobs(self.scheduler, specs, func=recorder.record)
        self.scheduler.resume()

    def run_until(self, end: datetime, latency: Callable[[], float] = lambda: 0.0) -> None:
        """APScheduler's loop: process due jobs, sleep as long as it asks (plus a wake-up latency)."""
        while True:
            wait = self.scheduler._process_jobs()  # noqa: SLF001 - the seam
            if wait is None:
                return
            wake = self.clock.now + timedelta(seconds=wait + latency())
            if wake > end:
                self.clock.now = end
                return
            self.clock.now = wake

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)


def jittered(seed: int = 7, most: float = 3.0) -> Callable[[], float]:
    rng = random.Random(seed)
    return lambda: rng.uniform(0.0, most)


@pytest.fixture
def harness(store_engine: Engine, clock: FakeClock) -> Callable[..., Harness]:
    made: list[Harness] = []

    def make(registry: dict[str, Outlet], specs: list[JobSpec] | None = None) -> Harness:
        h = Harness(store_engine, clock, specs if specs is not None else plan_jobs(registry))
        made.append(h)
        return h

    yield make  # type: ignore[misc]
    for h in made:
        if h.scheduler.running:
            h.stop()
