"""Benchmark: plain trafilatura vs the whole provnews pipeline on a scale mirror.

All figures come from one run on one machine, so only their ratios are meant to be
compared across machines (and a loaded machine moves each of them):

- a scale mirror (``crawler.mirror.generate``: ``--outlets`` synthetic outlets,
  ``--articles`` pages of 20–300 KB), generated once into ``--mirror-dir`` and served
  in this process by ``MirrorServer``;
- baseline: ``trafilatura.bare_extraction`` on the article pages read from disk (no
  fetching, no storing), in this process and in a process pool of as many workers as
  the pipeline's extraction pool (``PROVNEWS_EXTRACT_WORKERS``, default: cores);
- pipeline: ``provnews crawl --all --mirror … --sources …`` in a subprocess (robots.txt,
  feeds, sitemaps, listings, fetch over HTTP, WARC archive, extraction in the worker
  pool, the item pipelines, the store), timed end to end; its rate is also given less
  the interpreter start-up of a command that does no crawling;
- while it runs: the resident memory of the crawl process and of its whole process tree
  (workers included), sampled each second against the articles stored, so the peak
  over the first and the last ``--window`` articles can be compared (flat memory);
- article fetches per article (the mirror's hits on article paths), and a recrawl of
  the unchanged site, which must fetch no article.

``--profile`` runs the crawl under cProfile and prints its top entries (the crawl
process only: the extraction workers are not in it); the baselines are left out, as
no rate measured under a profiler is worth a ratio.

Run: ``python -m bench.pipeline --articles 20000 --outlets 10 [--db URL] [--profile]``
(Linux: memory is read from /proc).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import trafilatura

from crawler.mirror.generate import GenArticle, articles, generate, outlets_for
from crawler.mirror.server import MirrorServer

SEED = 1
SAMPLE_EVERY_S = 1.0
PROFILE_TOP = 25


@dataclass
class CrawlFigures:
    seconds: float
    stored: int
    article_fetches: int
    # (articles stored, crawl process RSS, process tree RSS), in MB, once a second
    samples: list[tuple[int, float, float]] = field(default_factory=list)

    def peak(self, low: int, high: int, tree: bool = True) -> float:
        picked = [s[2 if tree else 1] for s in self.samples if low <= s[0] <= high]
        return max(picked, default=0.0)


def scale_mirror(directory: Path, outlets: int, total: int) -> list[GenArticle]:
    """The generated mirror, written unless ``directory`` already holds this one."""
    stamp = directory / "bench-stamp.json"
    wanted = {"outlets": outlets, "articles": total, "seed": SEED}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return articles(outlets_for(outlets), total, SEED)
    written = generate(directory, outlets, total, SEED)
    stamp.write_text(json.dumps(wanted))
    return written


def pages_from_disk(directory: Path, arts: list[GenArticle]) -> list[tuple[str, str]]:
    return [(a.url, (directory / "sites" / a.outlet.host / a.file).read_text(encoding="utf-8")) for a in arts]


def _bare(page: tuple[str, str]) -> None:
    trafilatura.bare_extraction(page[1], url=page[0], with_metadata=True)


def trafilatura_rate(pages: list[tuple[str, str]], workers: int) -> float:
    """Pages per second of plain trafilatura, in this process (workers ≤ 1) or a pool."""
    if workers <= 1:
        start = time.perf_counter()
        for page in pages:
            _bare(page)
        return len(pages) / (time.perf_counter() - start)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_bare, pages[:workers]))  # workers started and warm
        start = time.perf_counter()
        list(pool.map(_bare, pages, chunksize=8))
        return len(pages) / (time.perf_counter() - start)


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass  # gone between the listing and the read
    return 0.0


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _count_stored(engine: sa.Engine) -> int:
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT COUNT(*) FROM articles")).scalar_one()
    except sa.exc.SQLAlchemyError:
        return 0  # no schema yet


def crawl(server: MirrorServer, sources: Path, db: str, env: dict[str, str], profile: Path | None,
          article_paths: set[tuple[str, str]]) -> CrawlFigures:
    """One ``crawl --all`` of the mirror, with memory sampled against articles stored."""
    server.clear_counts()
    runner = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else [sys.executable]
    command = [*runner, "-m", "crawler", "crawl", "--all", "--mirror", server.url, "--sources", str(sources),
               "--db", db]
    engine = sa.create_engine(db)
    samples: list[tuple[int, float, float]] = []
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    errors = io.StringIO()
    reader = threading.Thread(target=lambda: errors.write(process.stderr.read()), daemon=True)
    reader.start()
    while process.poll() is None:
        own = _rss_mb(process.pid)
        samples.append((_count_stored(engine), own, own + sum(_rss_mb(c) for c in _descendants(process.pid))))
        time.sleep(SAMPLE_EVERY_S)
    seconds = time.perf_counter() - start
    reader.join()
    if process.returncode != 0:
        raise SystemExit(f"crawl exited {process.returncode}:\n{errors.getvalue()[-3000:]}")
    stored = _count_stored(engine)
    engine.dispose()
    with server._hits_lock:
        fetches = sum(count for key, count in server.hits.items() if key in article_paths)
    return CrawlFigures(seconds, stored, fetches, samples)


def startup_seconds(env: dict[str, str]) -> float:
    """Interpreter + imports of a command that does no crawling: the fixed cost in the
    pipeline's wall clock, reported so the per-page rate can be read apart."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crawler", "sources", "list"], check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def print_profile(path: Path) -> None:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(PROFILE_TOP)
    # Our own functions by cumulative time: which stage the time above is spent under.
    stats.sort_stats("cumulative").print_stats(r"/(crawler|pipelines|storage)/", PROFILE_TOP)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles on the scale mirror")
    parser.add_argument("--outlets", type=int, default=10, help="outlets on the scale mirror")
    parser.add_argument("--mirror-dir", type=Path, default=Path(tempfile.gettempdir()) / "provnews-bench-mirror",
                        help="where the scale mirror is generated (kept for the next run)")
    parser.add_argument("--db", default=None, help="database URL (default: a scratch SQLite file); "
                        "a PostgreSQL database must be empty")
    parser.add_argument("--workers", type=int, default=None,
                        help="PROVNEWS_EXTRACT_WORKERS for the crawl and the baseline pool (default: cores)")
    parser.add_argument("--window", type=int, default=5000, help="articles in the first/last memory window")
    parser.add_argument("--profile", action="store_true", help="run the crawl under cProfile, print the top")
    args = parser.parse_args(argv)
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    arts = scale_mirror(args.mirror_dir, args.outlets, args.articles)
    if not args.profile:
        pages = pages_from_disk(args.mirror_dir, arts)
        single, pooled = trafilatura_rate(pages, 1), trafilatura_rate(pages, workers)
        del pages
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        env = {**os.environ, "PROVNEWS_EXTRACT_WORKERS": str(workers), "PROVNEWS_ARCHIVE_DIR": f"{tmp}/archive"}
        db = args.db or f"sqlite:///{tmp}/bench.db"
        server = MirrorServer(args.mirror_dir / "sites")
        server.start_background()
        try:
            paths = {(a.outlet.host, a.path) for a in arts}
            profile = Path(tmp) / "crawl.prof" if args.profile else None
            first = crawl(server, args.mirror_dir / "sources.yaml", db, env, profile, paths)
            again = crawl(server, args.mirror_dir / "sources.yaml", db, env, None, paths)
            startup = startup_seconds(env)
        finally:
            server.shutdown()
        if profile:
            print_profile(profile)
    report(args, workers, db, first, again, startup)
    if not args.profile:
        ratios(first, startup, single, pooled, workers)


def report(args: argparse.Namespace, workers: int, db: str, first: CrawlFigures, again: CrawlFigures,
           startup: float) -> None:
    n, w = args.articles, min(args.window, args.articles)
    top = first.stored  # the memory windows: by articles stored
    wall, steady = first.stored / first.seconds, first.stored / max(first.seconds - startup, 1e-9)
    print(f"{n} articles on {args.outlets} outlets ({args.mirror_dir}); database {db.split(':')[0]}; "
          f"{workers} extraction worker(s){'; under cProfile' if args.profile else ''}")
    print(f"pipeline, wall clock:                    {wall:8.1f} pages/s  ({first.stored} stored in "
          f"{first.seconds:.1f} s)")
    print(f"pipeline, less {startup:.1f} s of start-up:       {steady:8.1f} pages/s")
    print(f"peak RSS, process tree: {first.peak(0, top):.0f} MB (crawl process {first.peak(0, top, tree=False):.0f} MB); "
          f"first {w}: {first.peak(0, w):.0f} MB, last {w}: {first.peak(top - w, top):.0f} MB")
    print(f"article fetches per article: {first.article_fetches / n:.3f} ({first.article_fetches} for {n})")
    print(f"recrawl of the unchanged site: {again.article_fetches} article fetches, {again.stored - first.stored} "
          f"new rows, {again.seconds:.1f} s")


def ratios(first: CrawlFigures, startup: float, single: float, pooled: float, workers: int) -> None:
    wall, steady = first.stored / first.seconds, first.stored / max(first.seconds - startup, 1e-9)
    print(f"plain trafilatura, one process:          {single:8.1f} pages/s")
    print(f"plain trafilatura, pool of {workers}:            {pooled:8.1f} pages/s  ({pooled / single:.2f}×)")
    print(f"ratio pipeline / trafilatura one process: {wall / single:.2f} (wall), {steady / single:.2f} (less start-up)")
    print(f"ratio pipeline / trafilatura pool:        {wall / pooled:.2f} (wall), {steady / pooled:.2f} (less start-up)")


if __name__ == "__main__":
    main()
