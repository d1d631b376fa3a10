"""Watching the crawl: ``/outlets`` (every registered outlet and any other that published in
the last 90 days: its last outcome, 90 days of articles
per day as a server-drawn SVG, routes and yields, DRY/failed flags) and
``/outlets/{key}`` (its runs from the ledger and its errors by reason)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crawler.services.health import errors_by_reason, health_row
from crawler.web import present
from crawler.web.app import Web, WebError
from storage import crawlstate
from storage.queries import count_articles, daily_counts

DAYS = 90
HEALTH_WINDOW = 5           # as `provnews sources health --runs 5`
RUNS_SHOWN = 50
FAILED = frozenset({"failed", "timed_out", "killed", "interrupted"})


def add_routes(app: FastAPI, web: Web) -> None:
    @app.get("/outlets", include_in_schema=False)
    def outlets_page(request: Request) -> Response:
        with web.database.read_session() as session:
            # No count of all articles here: on a million rows that walk costs more than the page may.
            daily = daily_counts(session, days=DAYS, today=_today())
            keys = sorted(set(web.registry) | {k for k in daily if k})
            rows = [_outlet(web, session, key, None, daily.get(key)) for key in keys]
        return web.render(request, "outlets.html", {"outlets": rows})

    @app.get("/outlets/{key}", include_in_schema=False)
    def outlet_page(request: Request, key: str) -> Response:
        with web.database.read_session() as session:
            count = count_articles(session, key)
            if key not in web.registry and not count:
                raise WebError(404, "no_outlet", key=key)
            daily = daily_counts(session, days=DAYS, today=_today(), outlet=key)
            row = _outlet(web, session, key, count, daily.get(key))
            runs = crawlstate.recent_runs(session, key, RUNS_SHOWN)
            errors = errors_by_reason(runs)
            runs_ = [_run(r) for r in runs]
        return web.render(request, "outlet.html", {"o": row, "runs": runs_, "errors": errors})


def _today() -> date:
    return datetime.now(present.VIETNAM).date()


def _outlet(web: Web, session: Session, key: str, articles: int | None, daily: list[int] | None) -> dict[str, Any]:
    entry = web.registry.get(key)
    health = health_row(key, crawlstate.recent_runs(session, key, HEALTH_WINDOW), HEALTH_WINDOW)
    return {"key": key, "name": entry.name if entry else key, "province": entry.province if entry else None,
            "base_url": entry.base_url if entry else None, "articles": articles, "health": health,
            "dry": health["status"] == "DRY", "failed": health["status"] in FAILED,
            "chart": present.daily_chart(daily or [0] * DAYS, _today())}


def _run(run: Any) -> dict[str, Any]:
    return {"id": run.id, "status": run.status, "trigger": run.trigger, "started_at": run.started_at,
            "finished_at": run.finished_at, "requests": run.requests, "new": run.new, "updated": run.updated,
            "fetched": run.fetched, "dropped": run.dropped, "errors": dict(run.errors or {})}
