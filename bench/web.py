"""Benchmark: server-render time of the web app's pages (crawler.web) on a large database.

The database is bench.storage's synthetic articles (real Vietnamese vocabulary, 20
outlets, three years of dates), built once with ``--build N`` and reused. Each page is
requested in-process (FastAPI's TestClient, so no network or browser time is counted)
``--reps`` times after one warm-up; the report gives p50/p95/max milliseconds per page.
The JSON API's request for the same query (``GET /search``, ``GET /articles/ID``) is the
baseline, timed right after each page: the ratio says what rendering HTML adds.

Run: ``python -m bench.web --db sqlite:///bench-web.db --build 200000`` (builds, then
times), or without ``--build`` on a database built before.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bench.build import build_sqlite
from bench.storage import percentile
from crawler.api import ApiConfig, create_app
from storage import open_database

# (name, page, the JSON API request that runs the same query, or None)
PAGES: list[tuple[str, str, str | None]] = [
    ("search: newest, no query", "/", "/search?limit=20"),
    ("search: lạng sơn", "/?q=l%E1%BA%A1ng+s%C6%A1n", "/search?q=l%E1%BA%A1ng+s%C6%A1n&limit=20"),
    ("search: lang son (no diacritics)", "/?q=lang+son", "/search?q=lang+son&limit=20"),
    ("search: kinh te, section filter", "/?q=kinh+te&section=Kinh+t%E1%BA%BF",
     "/search?q=kinh+te&section=Kinh+t%E1%BA%BF&limit=20"),
    ("search: du lich, page 10", "/?q=du+lich&page=10", "/search?q=du+lich&limit=20&offset=180"),
    ("article", "/article/{id}", "/articles/{id}"),
    ("outlets (90-day charts)", "/outlets", None),
    ("outlet baolangson", "/outlets/baolangson", None),
]


def build(url: str, rows: int) -> None:
    """Bulk-loaded (bench.build): through upsert_articles 1M rows took 4,016 s."""
    started = time.perf_counter()
    build_sqlite(url, rows)
    print(f"built {rows} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _time(client, path: str, reps: int) -> list[float]:
    samples = []
    for i in range(reps + 1):
        t0 = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code} {response.text[:300]}")
        if i:  # the first request warms caches
            samples.append(elapsed)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(percentile(samples, 0.95), 1),
            "max_ms": round(max(samples), 1)}


def timings(url: str, reps: int) -> dict[str, object]:
    """Each page, then (right after, same conditions) the JSON request running the same
    query: ``html_over_json`` is what rendering the page adds to the query."""
    from fastapi.testclient import TestClient

    client = TestClient(create_app(ApiConfig(url)))
    with open_database(url, create=False).read_session() as session:
        from storage.queries import count_articles, newest_id

        rows, article = count_articles(session), newest_id(session) // 2
    pages: dict[str, object] = {}
    for name, path, api in PAGES:
        page = _summary(_time(client, path.format(id=article), reps))
        entry: dict[str, object] = {"path": path.format(id=article), **page}
        if api:
            json = _summary(_time(client, api.format(id=article), reps))
            entry.update(json_p50_ms=json["p50_ms"], html_over_json=round(page["p50_ms"] / json["p50_ms"], 2))
        pages[name] = entry
    return {"articles": rows, "reps": reps, "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite URL of the bench database")
    parser.add_argument("--build", type=int, metavar="N", help="first fill the (new) database with N articles")
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    if args.build:
        if args.db.startswith("sqlite:///") and Path(args.db.removeprefix("sqlite:///")).exists():
            raise SystemExit(f"{args.db} exists: --build fills a new database")
        build(args.db, args.build)
    print(json.dumps(timings(args.db, args.reps), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
