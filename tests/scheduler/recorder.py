"""A stand-in job function for the clock tests: importable by reference, as the
persistent job store requires, and recording its calls instead of crawling."""

from __future__ import annotations

CALLS: list[tuple[str, ...]] = []


def record(outlet: str, sources: str | None = None, mirror: str | None = None,
           time_limit_s: int | None = None) -> dict[str, object]:
    CALLS.append((outlet,))
    return {"outlet": outlet, "outcome": "ok"}
