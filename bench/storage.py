"""Benchmark: storage ingest, search latency and export, on SQLite or PostgreSQL.

N synthetic articles are written from real Vietnamese vocabulary: the words of
the mirrored Báo Lạng Sơn pages and the seed article, drawn with their real
frequencies (so common words are common, as in the news). Each phase is timed
in the same run on the same machine:

- ingest, ours: ``storage.upsert_articles`` from ``ArticleRecord``s, 1,000 per
  transaction (everything the store pipeline pays: folding, keys, the
  existence check, article_urls, the FTS index);
- ingest, baseline: a plain SQLAlchemy Core ``insert(Article)`` executemany of
  the same rows, prepared outside the timer, into an identical empty schema
  (same indexes and FTS triggers), into a second database;
- search: 20 fixed queries (common and rare words, phrases, with and without
  diacritics, with filters), 1 warm-up + ``--reps`` timed runs each: p50/p95, for
  page 1 and page 50 (offset 980) of 20 results;
- export: ``provnews export`` in a subprocess (jsonl, and parquet when pyarrow
  is installed): rows/s and the child's peak RSS.

Run: ``python -m bench.storage [--rows 1000000] [--db URL] [--keep]``
(default database: a SQLite file in a temporary directory). To time search
again on a kept database: ``python -m bench.storage --search-only sqlite:///DIR/ours.db``. A large
database for --search-only is filled far faster by ``python -m bench.build`` (bulk load, indexes
built after it) than by the ingest phase here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from crawler.core.record import ArticleRecord, content_hash
from crawler.mirror.server import SITES_DIR
from storage import (
    ArticleWrite,
    Database,
    make_url_key,
    open_database,
    search,
    upsert_articles,
)
from storage.models import Article
from storage.queries import _row

SEED = Path("/work/shared/corpus/seed/baolangson-article.txt")
VN = timezone(timedelta(hours=7))
BATCH = 1000
POOL = 2_000_000
WORD = re.compile(r"[^\W\d_]+")
OUTLETS = [
    ("baolangson", "Lạng Sơn"), ("baocaobang", "Cao Bằng"), ("baohagiang", "Hà Giang"), ("baolaocai", "Lào Cai"),
    ("baoyenbai", "Yên Bái"), ("baothainguyen", "Thái Nguyên"), ("baobacgiang", "Bắc Giang"),
    ("baoquangninh", "Quảng Ninh"), ("baohaiduong", "Hải Dương"), ("baothaibinh", "Thái Bình"),
    ("baonamdinh", "Nam Định"), ("baothanhhoa", "Thanh Hóa"), ("baonghean", "Nghệ An"),
    ("baohatinh", "Hà Tĩnh"), ("baoquangbinh", "Quảng Bình"), ("baoquangtri", "Quảng Trị"),
    ("baodaklak", "Đắk Lắk"), ("baolamdong", "Lâm Đồng"), ("baocantho", "Cần Thơ"), ("baocamau", "Cà Mau"),
]
SECTIONS = ["Thời sự", "Kinh tế", "Xã hội", "Văn hóa", "Thể thao", "Pháp luật", "Giáo dục", "Y tế", "Quốc phòng"]
AUTHORS = ["Minh Anh", "Nguyễn Văn Hùng", "Trần Thị Lan", "Hoàng Đức", "Lê Thu Hà", "Phạm Quang Vinh",
           "Đỗ Ngọc Bích", "Vũ Hải Nam", "Bùi Thanh Tâm", "Đặng Hồng Nhung"]
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("lạng sơn", {}), ("lang son", {}), ("tỉnh", {}), ("kinh tế", {}), ("nông thôn mới", {}),
    ('"ban thường vụ"', {}), ("đại hội đảng", {}), ("du lịch", {}), ("biên giới", {}),
    ("xây dựng", {}), ("giáo dục", {}), ("nghị quyết", {}), ('"tỉnh ủy"', {}), ("chợ", {}),
    ("lang son", {"outlet": "baolangson"}), ("kinh te", {"section": "kinh te"}),
    ("du lich", {"author": "minh anh"}), ("bien gioi", {"province": "cao bang"}),
    ("huong", {}), ("phát triển bền vững", {}),
]


def vocabulary() -> tuple[list[str], list[float]]:
    """Distinct NFC words of the mirror and the seed, with cumulative frequencies."""
    counts: Counter[str] = Counter()
    texts = [p.read_text(encoding="utf-8") for p in sorted((SITES_DIR / "baolangson.vn").glob("*.html"))]
    if SEED.exists():
        texts.append(SEED.read_text(encoding="utf-8"))
    for raw in texts:
        body = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", raw, flags=re.DOTALL)
        for word in WORD.findall(unicodedata.normalize("NFC", body)):
            if not word.isascii() or len(word) > 2:  # skip markup leftovers like "px", "br"
                counts[word.lower() if not word[0].isupper() else word] += 1
    words = list(counts)
    cumulative = list(itertools.accumulate(counts[w] for w in words))
    return words, cumulative


class Generator:
    def __init__(self, seed: int = 7):
        self.words, self.cumulative = vocabulary()
        self.rng = random.Random(seed)
        self.start = datetime.now(VN) - timedelta(days=3 * 365)
        # A long stream drawn once with the real frequencies; articles read
        # random windows of it (drawing every word anew dominated the run).
        self.pool = self.rng.choices(self.words, cum_weights=self.cumulative, k=POOL)

    def _words(self, n: int) -> list[str]:
        start = self.rng.randrange(0, POOL - n)
        return self.pool[start:start + n]

    def record(self, i: int) -> tuple[ArticleRecord, str]:
        rng = self.rng
        outlet, province = OUTLETS[i % len(OUTLETS)]
        url = f"https://{outlet}.vn/tin-{i}.html"
        title = " ".join(self._words(rng.randint(8, 14))).capitalize()
        summary = " ".join(self._words(rng.randint(20, 30))).capitalize() + "."
        paragraphs = [" ".join(self._words(rng.randint(40, 80))).capitalize() + "." for _ in range(rng.randint(2, 4))]
        text_ = "\n\n".join(paragraphs)
        published = self.start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        record = ArticleRecord(
            url=url, outlet=outlet, canonical_url=url, title=title, summary=summary, text=text_,
            authors=[rng.choice(AUTHORS)], published_at=published, published_at_source="bench",
            section=rng.choice(SECTIONS), tags=self._words(2), language="vi",
            word_count=len(text_.split()), content_hash=content_hash(text_),
            fetched_at=published.astimezone(UTC) + timedelta(hours=1), encoding="utf-8",
        )
        return record, province

    def batches(self, rows: int) -> Iterator[list[tuple[ArticleRecord, str]]]:
        for start in range(0, rows, BATCH):
            yield [self.record(i) for i in range(start, min(rows, start + BATCH))]


def ingest_ours(db: Database, rows: int, checkpoint: int, marks: dict[str, float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) spent inside upsert transactions.

    ``marks`` gets the same two figures for the first ``checkpoint`` rows, to
    compare with a baseline of that many rows into an equally empty database.
    """
    elapsed = cpu = 0.0
    done = 0
    for batch in Generator().batches(rows):
        writes = [ArticleWrite(r, make_url_key(r.url), (), province) for r, province in batch]
        t0, c0 = time.perf_counter(), time.process_time()
        db.run_in_transaction(lambda session, writes=writes: upsert_articles(session, writes))
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        done += len(batch)
        if done == checkpoint:
            marks.update(wall=elapsed, cpu=cpu)
    return elapsed, cpu


def ingest_baseline(db: Database, rows: int) -> tuple[float, float]:
    elapsed = cpu = 0.0
    now = datetime.now(UTC)
    for batch in Generator().batches(rows):
        values = [{**_row(r, make_url_key(r.url), now, province), "first_seen_at": now} for r, province in batch]
        t0, c0 = time.perf_counter(), time.process_time()
        with db.engine.begin() as connection:
            connection.execute(insert(Article.__table__), values)
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
    return elapsed, cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


# Page 50 of 20: the ranking must cost what page 1 costs (crawler.services.search pages).
DEEP_OFFSET = 49 * 20


def _server_cpu(session: Session) -> Callable[[], float]:
    """CPU seconds spent so far by this session's PostgreSQL backend, when the server
    runs on this machine (read from /proc), else 0: search on PostgreSQL spends most
    of its CPU there, out of this process's reach."""
    if session.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    stat = Path(f"/proc/{session.scalar(text('SELECT pg_backend_pid()'))}/stat")
    if not stat.exists():
        return lambda: 0.0
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return cpu


def search_latency(db: Database, reps: int) -> dict[str, object]:
    """p50/p95 of the fixed queries, page 1 and page 50 (offset 980) of 20 results.

    Wall time moves with whatever else the machine runs, so CPU time is given too:
    this process's, plus the PostgreSQL backend's when it is local (in 10 ms ticks)."""
    timings: dict[int, list[float]] = {0: [], DEEP_OFFSET: []}
    cpu_times: dict[int, list[float]] = {0: [], DEEP_OFFSET: []}
    per_query: list[dict[str, object]] = []
    with db.read_session() as session:
        server = _server_cpu(session)
        for query, filters in QUERIES:
            row: dict[str, object] = {"query": query + (" " + json.dumps(filters, ensure_ascii=False) if filters else "")}
            for offset, runs in timings.items():
                search(session, query, limit=20, offset=offset, **filters)  # warm-up
                mine, cpu = [], []
                for _ in range(reps):
                    t0, c0, s0 = time.perf_counter(), time.process_time(), server()
                    hits = search(session, query, limit=20, offset=offset, **filters)
                    mine.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.process_time() - c0 + server() - s0) * 1000)
                runs += mine
                cpu_times[offset] += cpu
                key = "page1" if offset == 0 else "page50"
                row.update({f"{key}_p50_ms": round(statistics.median(mine), 1),
                            f"{key}_cpu_ms": round(statistics.mean(cpu), 1), f"{key}_hits": len(hits),
                            f"{key}_total": hits.total})
            per_query.append(row)
    first, deep = timings[0], timings[DEEP_OFFSET]
    return {
        "p50_ms": round(percentile(first, 0.50), 2), "p95_ms": round(percentile(first, 0.95), 2),
        "max_ms": round(max(first), 2),
        "page50_p50_ms": round(percentile(deep, 0.50), 2), "page50_p95_ms": round(percentile(deep, 0.95), 2),
        "cpu_p50_ms": round(percentile(cpu_times[0], 0.50), 2), "cpu_p95_ms": round(percentile(cpu_times[0], 0.95), 2),
        "page50_cpu_p50_ms": round(percentile(cpu_times[DEEP_OFFSET], 0.50), 2),
        "page50_cpu_p95_ms": round(percentile(cpu_times[DEEP_OFFSET], 0.95), 2),
        "per_query": per_query,
    }


def search_only(url: str, reps: int) -> dict[str, object]:
    """The search phase alone, against a database an earlier ``--keep`` run filled."""
    db = open_database(url)
    try:
        return {"search": search_latency(db, reps)}
    finally:
        db.close()


def export_run(url: str, fmt: str, out: Path) -> dict[str, object]:
    """``provnews export`` in a child process; its own peak RSS comes from wait4()."""
    log_path = out.with_suffix(".log")
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        child = subprocess.Popen([sys.executable, "-m", "crawler", "export", "--format", fmt, "--out", str(out),
                                  "--db", url], stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = log_path.read_text()
    log_path.unlink()
    if child.returncode != 0:
        return {"format": fmt, "error": stderr.strip()}
    count = int(re.search(r"exported (\d+)", stderr).group(1))  # type: ignore[union-attr]
    cpu = usage.ru_utime + usage.ru_stime
    return {"format": fmt, "rows": count, "seconds": round(elapsed, 1), "rows_per_s": round(count / elapsed),
            "rows_per_cpu_s": round(count / cpu),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "file_mb": round(out.stat().st_size / 2**20, 1)}


def fresh_url(base: str | None, tmp: Path, name: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    """An empty database: a SQLite file, or a new schema on the PostgreSQL server."""
    if base is None or base.startswith("sqlite"):
        return f"sqlite:///{tmp / (name + '.db')}", lambda: None
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"bench_{name}_{int(time.time())}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", help="PostgreSQL server URL (a fresh schema is used); default: SQLite temp file")
    parser.add_argument("--baseline-rows", type=int,
                        help="rows for the Core baseline, compared with our first as many rows (default: --rows)")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--keep", action="store_true",
                        help="keep the filled database (SQLite file or PostgreSQL schema), for --search-only")
    parser.add_argument("--tmp", help="directory for databases and exports (default: a temp dir)")
    parser.add_argument("--search-only", metavar="URL",
                        help="only time the queries against this filled database (e.g. sqlite:///bench/ours.db)")
    args = parser.parse_args()
    if args.search_only:
        print(json.dumps(search_only(args.search_only, args.reps), ensure_ascii=False, indent=2))
        return
    baseline_rows = min(args.baseline_rows or args.rows, args.rows)
    baseline_rows -= baseline_rows % BATCH or 0
    baseline_rows = max(baseline_rows, min(BATCH, args.rows))
    tmp = Path(args.tmp or tempfile.mkdtemp(prefix="provnews-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"rows": args.rows, "backend": "postgresql" if args.db and not args.db.startswith(
        "sqlite") else "sqlite"}

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    url_ours, drop_ours = fresh_url(args.db, tmp, "ours")
    url_base, drop_base = fresh_url(args.db, tmp, "baseline")
    try:
        base_db = open_database(url_base)
        log(f"baseline: Core insert of {baseline_rows} rows")
        seconds, cpu = ingest_baseline(base_db, baseline_rows)
        base_db.close()
        drop_base()
        base_rate, base_cpu_rate = baseline_rows / seconds, baseline_rows / cpu
        log(f"baseline {base_rate:.0f} rows/s; ours: upsert_articles of {args.rows} rows")
        db = open_database(url_ours)
        marks: dict[str, float] = {}
        seconds, cpu = ingest_ours(db, args.rows, baseline_rows, marks)
        rate, cpu_rate = args.rows / seconds, args.rows / cpu
        same_rate, same_cpu_rate = baseline_rows / marks["wall"], baseline_rows / marks["cpu"]
        # Per CPU second of this process as well: the wall figures move with
        # whatever else the machine runs (on PostgreSQL the server's CPU is not counted).
        report["ingest"] = {
            "rows_compared": baseline_rows,
            "baseline_rows_per_s": round(base_rate), "ours_rows_per_s": round(same_rate),
            "ratio": round(same_rate / base_rate, 3),
            "baseline_rows_per_cpu_s": round(base_cpu_rate), "ours_rows_per_cpu_s": round(same_cpu_rate),
            "cpu_ratio": round(same_cpu_rate / base_cpu_rate, 3),
            "ours_all_rows_per_s": round(rate), "ours_all_rows_per_cpu_s": round(cpu_rate),
        }
        log(f"ingest {report['ingest']}; optimising and searching")
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA optimize")
        else:
            with db.engine.connect() as connection:
                connection.execute(text("ANALYZE articles"))
                connection.commit()
        report["search"] = search_latency(db, args.reps)
        log(f"search {report['search']}")
        db.close()
        report["export"] = [export_run(url_ours, "jsonl", tmp / "export.jsonl")]
        log(f"export {report['export'][-1]}")
        try:
            import pyarrow  # noqa: F401

            report["export"].append(export_run(url_ours, "parquet", tmp / "export.parquet"))  # type: ignore[union-attr]
            log(f"export {report['export'][-1]}")
        except ImportError:
            pass
    finally:
        if args.keep:
            log(f"kept {url_ours}")
        else:
            drop_ours()
        if not args.keep and not args.tmp:
            for path in tmp.iterdir():
                path.unlink()
            tmp.rmdir()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
