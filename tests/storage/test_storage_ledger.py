"""storage.crawlstate's ledger: a mirror's runs are kept apart from the outlet's own, and
an outlet whose crawl was stopped before it began still gets its row."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import crawlstate
from storage.models import CrawlRun

OUTLET = "baothu"


def _finished_run(session: Session, mirror: bool, interval: int, routes: dict) -> int:
    with session.begin():
        run_id = crawlstate.start_run(session, OUTLET, "manual", mirror=mirror)
        crawlstate.finish_run(session, run_id, "ok", interval_minutes=interval, routes=routes)
    return run_id


def test_route_choice_and_cadence_learn_only_from_runs_of_the_same_kind(session: Session) -> None:
    _finished_run(session, mirror=False, interval=60, routes={"feed": {"new": 3}})
    _finished_run(session, mirror=True, interval=15, routes={"sitemap": {"new": 9}})
    with session.begin():
        assert [r.routes for r in crawlstate.finished_runs(session, OUTLET, 10, False)] == [{"feed": {"new": 3}}]
        assert [r.routes for r in crawlstate.finished_runs(session, OUTLET, 10, True)] == [{"sitemap": {"new": 9}}]
        assert crawlstate.count_finished_runs(session, OUTLET, False) == 1
        assert crawlstate.count_finished_runs(session, OUTLET, True) == 1
        assert crawlstate.last_interval(session, OUTLET, mirror=False) == 60
        assert crawlstate.last_interval(session, OUTLET, mirror=True) == 15
        marks = dict(session.execute(select(CrawlRun.interval_minutes, CrawlRun.mirror)).all())
    assert marks == {60: False, 15: True}


def test_an_outlet_stopped_before_its_run_began_gets_an_interrupted_row(session: Session) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    with session.begin():
        begun = crawlstate.start_run(session, "begun", "schedule", mirror=True)
    with session.begin():
        recorded = crawlstate.record_unbegun_runs(session, os.getpid(), since, ["begun", "late", "late"],
                                                  "schedule", True, "interrupted")
    assert recorded == ["late"]
    with session.begin():
        rows = {r.outlet: r for r in session.scalars(select(CrawlRun))}
    assert set(rows) == {"begun", "late"} and rows["begun"].id == begun and rows["begun"].status == "running"
    late = rows["late"]
    assert (late.status, late.trigger, late.mirror, late.pid) == ("interrupted", "schedule", True, os.getpid())
    assert late.finished_at is not None and late.requests == 0
    with session.begin():  # asked again (the forced stop after the graceful one): nothing twice
        assert crawlstate.record_unbegun_runs(session, os.getpid(), since, ["begun", "late"], "schedule", True,
                                              "interrupted") == []
