"""The raw archive: what it costs on disk, and how fast re-extraction reads it.

1. Crawl a mirror into a scratch database (its archive beside it): the bundled
   recordings of the five outlets, or with ``--synthetic N`` the kill-load bench's
   synthetic site of N articles on 4 hosts (``bench.killload.build_site``).
2. Bytes per article: the archive's files on disk over the articles pointing into it,
   beside the raw bytes of the pages served (the mirror's files).
3. Re-extraction of every archived article (``reextract --all``) with 1 and with 2
   workers, in this process, timed from the first read to the last commit: pages/s,
   and the CPU seconds this process and its workers spent (on a loaded machine two
   workers can only beat one if a core is free; the CPU figure tells which).
   The mirror is stopped first, so no request can be made.

Run: ``python -m bench.archive`` or ``python -m bench.archive --synthetic 500``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crawler.mirror.server import SITES_DIR, MirrorServer
from crawler.services.archive import size
from crawler.services.reextract import Selection, reextract
from storage.database import open_database


def crawl(sites: Path, db_path: Path, sources: Path | None) -> None:
    server = MirrorServer(sites)
    server.start_background()
    try:
        args = [sys.executable, "-m", "crawler", "crawl", "--all", "--mirror", server.url, "--db", f"sqlite:///{db_path}"]
        if sources is not None:
            args += ["--sources", str(sources)]
        subprocess.run(args, check=True, capture_output=True)
    finally:
        server.shutdown()
        server.server_close()


def _cpu_seconds() -> float:
    """User + system time of this process and of its finished children (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def served_bytes(sites: Path) -> int:
    """Bytes of the HTML files the mirror serves (articles, listings and all)."""
    return sum(p.stat().st_size for p in sites.rglob("*.html"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=0, help="articles of a synthetic site (0: the bundled mirror)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        sites, sources = SITES_DIR, None
        if args.synthetic:
            from bench.killload import build_site

            sites = root / "sites"
            build_site(sites, args.synthetic)
            sources = root / "killload-sources.yaml"
        db_path = root / "provnews.db"
        started = time.perf_counter()
        crawl(sites, db_path, sources)
        print(f"crawl: {time.perf_counter() - started:.1f} s")
        database = open_database(f"sqlite:///{db_path}")
        archive = root / "provnews-archive"
        with database.read_session() as session:
            cost = size(session, archive)
        print(f"archive: {cost.articles} articles, {cost.records} records in {cost.files} file(s), "
              f"{cost.file_bytes} bytes on disk = {cost.bytes_per_article:.0f} bytes/article "
              f"(HTML served by the mirror: {served_bytes(sites)} bytes in all)")
        for workers in args.workers:
            cpu, started = _cpu_seconds(), time.perf_counter()
            report = reextract(database, archive, Selection(everything=True), workers=workers,
                               sources=str(sources) if sources else None)
            elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
            print(f"reextract --all --workers {workers}: {report.read} pages in {elapsed:.2f} s = "
                  f"{report.read / elapsed:.1f} pages/s, {cpu:.2f} CPU s "
                  f"(changed {report.changed}, kept {dict(report.kept)})")
        database.close()


if __name__ == "__main__":
    main()
