"""Benchmark: server-render time of the web app's pages (crawler.web) on a large database.

The database is bench.storage's synthetic articles (real Vietnamese vocabulary, 20
outlets, three years of dates), built once with ``--build N`` and reused. Each page is
requested in-process (FastAPI's TestClient, so no network or browser time is counted)
``--reps`` times after one warm-up; the report gives p50/p95/max milliseconds per page.
The list endpoint ``GET /search`` of the JSON API on the same query is the baseline,
timed in the same run: the ratio says what rendering HTML adds to the query itself.

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

from bench.storage import ingest_ours, percentile
from crawler.api import ApiConfig, create_app
from storage import open_database

PAGES: list[tuple[str, str]] = [
    ("search: newest, no query", "/"),
    ("search: lạng sơn", "/?q=l%E1%BA%A1ng+s%C6%A1n"),
    ("search: lang son (no diacritics)", "/?q=lang+son"),
    ("search: kinh te, section filter", "/?q=kinh+te&section=Kinh+t%E1%BA%BF"),
    ("search: du lich, page 10", "/?q=du+lich&page=10"),
    ("article", "/article/{id}"),
    ("outlets (90-day charts)", "/outlets"),
    ("outlet baolangson", "/outlets/baolangson"),
]
BASELINE = ("api: /search?q=lang+son (JSON)", "/search?q=lang+son&limit=20")


def build(url: str, rows: int) -> None:
    db = open_database(url)
    started = time.perf_counter()
    ingest_ours(db, rows, rows, {})
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA optimize")
    db.close()
    print(f"built {rows} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def timings(url: str, reps: int) -> dict[str, object]:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(ApiConfig(url)))
    with open_database(url, create=False).read_session() as session:
        from storage.queries import count_articles, newest_id

        rows, article = count_articles(session), newest_id(session) // 2
    report: dict[str, object] = {"articles": rows, "reps": reps, "pages": {}}
    for name, path in [*PAGES, BASELINE]:
        path = path.format(id=article)
        samples = []
        for i in range(reps + 1):
            t0 = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code} {response.text[:300]}")
            if i:  # the first request warms caches
                samples.append(elapsed)
        report["pages"][name] = {"path": path, "p50_ms": round(statistics.median(samples), 1),  # type: ignore[index]
                                 "p95_ms": round(percentile(samples, 0.95), 1), "max_ms": round(max(samples), 1)}
    base = report["pages"][BASELINE[0]]["p50_ms"]  # type: ignore[index]
    for entry in report["pages"].values():  # type: ignore[union-attr]
        entry["ratio_to_api_search"] = round(entry["p50_ms"] / base, 2) if base else None
    return report


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
