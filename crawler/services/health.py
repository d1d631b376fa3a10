"""Outlet health, the use case: what an outlet's recent crawl runs yielded per route, its
latest outcome, and whether it went dry. ``provnews sources health`` and the web app's
outlets pages (crawler.web) both show ``health_row``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from storage.models import CrawlRun


def health_row(key: str, outlet_runs: Sequence[CrawlRun], window: int) -> dict[str, Any]:
    """Totals over an outlet's recent runs (newest first); "DRY" when a full window found nothing new."""
    routes: dict[str, dict[str, int]] = {}
    for run in outlet_runs:
        for route, counts in (run.routes or {}).items():
            total = routes.setdefault(route, {"urls": 0, "new": 0})
            for field in total:
                total[field] += counts.get(field, 0)
    new = sum(run.new for run in outlet_runs)
    dry = len(outlet_runs) >= window and new == 0
    fallback_runs = sum(any(c.get("state") == "fallback" for c in (run.routes or {}).values()) for run in outlet_runs)
    return {"outlet": key, "runs": len(outlet_runs),
            "last_run": outlet_runs[0].started_at.isoformat() if outlet_runs else None,
            "new": new, "routes": routes, **_last_plan(outlet_runs), "fallback_runs": fallback_runs,
            "errors": sum(sum(run.errors.values()) for run in outlet_runs),
            "status": _status(outlet_runs, dry)}


def errors_by_reason(outlet_runs: Sequence[CrawlRun]) -> list[tuple[str, int]]:
    """Each error reason over these runs with its count, most frequent first."""
    total: Counter[str] = Counter()
    for run in outlet_runs:
        total.update(run.errors or {})
    return total.most_common()


def _status(outlet_runs: Sequence[CrawlRun], dry: bool) -> str:
    """The latest run's outcome (crawler.core.outcome), or DRY over a window that found nothing."""
    if not outlet_runs:
        return "never crawled"
    return "DRY" if dry and outlet_runs[0].status == "ok" else outlet_runs[0].status


def _last_plan(outlet_runs: Sequence[CrawlRun]) -> dict[str, list[str]]:
    """The latest run's route order (crawler.discovery.routing), and the routes it skipped or fell back to."""
    routes = (outlet_runs[0].routes or {}) if outlet_runs else {}
    order = sorted((r for r, c in routes.items() if "rank" in c), key=lambda r: routes[r]["rank"])
    return {"order": order, "skipped": [r for r in order if routes[r].get("state") == "skipped"],
            "fallback": [r for r in order if routes[r].get("state") == "fallback"]}
