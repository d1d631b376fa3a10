"""Benchmark: plain trafilatura vs the whole provnews pipeline on the mirror's pages.

Both figures come from the same run on the same machine, so only their ratio is
meant to be compared across machines:

- baseline: ``trafilatura.bare_extraction`` on every mirrored article page, read
  from disk (no fetching, no storing): the cost floor of extraction alone;
- pipeline: ``provnews crawl --all --mirror`` in a subprocess (robots.txt, feeds,
  listings, fetch over HTTP, extraction with Vietnamese post-processing, the four
  item pipelines, SQLite upserts), timed end to end including interpreter start-up.

Run: ``python -m bench.pipeline [--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trafilatura

from crawler.mirror.server import SITES_DIR, MirrorServer, MirrorSite


def article_pages() -> list[tuple[str, str]]:
    """Every mirrored article (each mirror's expected.json), read as the mirror serves it."""
    pages = []
    for site in sorted(p for p in SITES_DIR.iterdir() if (p / "expected.json").exists()):
        served = MirrorSite(site)
        for url in json.loads((site / "expected.json").read_text(encoding="utf-8"))["all"]:
            _, _, body = served.resolve("/" + url.split("/", 3)[3])
            pages.append((url, body.decode("utf-8")))
    return pages


def trafilatura_rate(pages: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for url, html in pages:
        trafilatura.bare_extraction(html, url=url, with_metadata=True)
    return len(pages) / (time.perf_counter() - start)


def pipeline_run(mirror: str) -> tuple[float, int]:
    """Seconds for one whole crawl of every mirrored outlet, and articles stored."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "crawler", "crawl", "--all", "--mirror", mirror,
                        "--db", f"sqlite:///{db}"], check=True, capture_output=True)
        elapsed = time.perf_counter() - start
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    return elapsed, stored


def startup_seconds() -> float:
    """Interpreter + imports of a CLI command that does no crawling: the fixed cost
    inside every pipeline figure, reported so the per-page rate can be read apart."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crawler", "sources", "list"], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    pages = article_pages()
    trafilatura_rate(pages[:5])  # warm-up: imports, lxml and regex caches
    server = MirrorServer()
    server.start_background()
    try:
        baseline = [trafilatura_rate(pages) for _ in range(rounds)]
        runs = [pipeline_run(server.url) for _ in range(rounds)]
        startup = statistics.median(startup_seconds() for _ in range(rounds))
    finally:
        server.shutdown()
    base = statistics.median(baseline)
    wall = statistics.median(seconds for seconds, _ in runs)
    stored = runs[0][1]
    ours, steady = stored / wall, stored / max(wall - startup, 1e-9)
    print(f"pages: {len(pages)} mirrored articles; stored per crawl: {stored}; rounds: {rounds} (medians)")
    print(f"plain trafilatura (extraction only, from disk):          {base:8.1f} pages/s")
    print(f"provnews pipeline (fetch → extract → store), wall clock: {ours:8.1f} pages/s")
    print(f"  same, less {startup:.2f} s of interpreter start-up:      {steady:8.1f} pages/s")
    print(f"ratio pipeline / trafilatura: {ours / base:.3f} (wall), {steady / base:.3f} (less start-up)")


if __name__ == "__main__":
    main()
