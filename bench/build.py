"""Fill a benchmark database fast: bench.storage's synthetic articles, bulk-loaded.

``upsert_articles`` pays the store pipeline's per-batch costs (the existence check,
RETURNING, article_urls, one FTS insert per row and index) and took 4,016 s for 1M
rows (bench.web --build, loaded machine). A benchmark only needs the same rows and
indexes, so this loads the rows first and builds the full-text indexes once after:

- SQLite: Core executemany inserts with the FTS triggers dropped, then each
  external-content FTS5 table's ``'rebuild'``, then the triggers again;
- PostgreSQL: ``COPY`` of the rows of a SQLite database built here (the rows are
  generated once), with the GIN indexes dropped during the load and built after.

Run: ``python -m bench.build --db sqlite:///X.db --rows 1000000``, then
``python -m bench.build --db postgresql+psycopg://.../provnews_14 --from-sqlite X.db``.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, text

from bench.storage import Generator
from storage import make_url_key, open_database
from storage.models import Article, ArticleUrl
from storage.queries import _row, fill_pairs


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _sqlite_triggers(connection: Connection) -> list[tuple[str, str]]:
    return [(name, sql) for name, sql in connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles'")]


def _fts_tables(connection: Connection) -> list[str]:
    """The external-content FTS5 tables over articles (they accept 'rebuild')."""
    return [name for name, sql in connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")
        if "content='articles'" in sql]


def build_sqlite(url: str, rows: int) -> None:
    db = open_database(url)
    now = datetime.now(UTC)
    with db.engine.connect() as connection:
        if connection.exec_driver_sql("SELECT count(*) FROM articles").scalar():
            raise SystemExit(f"{url} already holds articles: --rows fills an empty database")
        triggers = _sqlite_triggers(connection)
        for name, _ in triggers:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        connection.commit()
        started, done = time.perf_counter(), 0
        for batch in Generator().batches(rows):
            values = [{**_row(r, make_url_key(r.url), now, province), "first_seen_at": now} for r, province in batch]
            connection.execute(insert(Article.__table__), values)
            first = done + 1  # ids follow insertion in an empty table
            connection.execute(insert(ArticleUrl.__table__), [
                {"article_id": first + i, "url": v["url"], "url_key": v["url_key"]} for i, v in enumerate(values)])
            connection.commit()
            done += len(batch)
            if done % 50_000 == 0:
                log(f"{done} rows, {done / (time.perf_counter() - started):.0f} rows/s")
        for name in _fts_tables(connection):
            t0 = time.perf_counter()
            connection.exec_driver_sql(f"INSERT INTO {name}({name}) VALUES ('rebuild')")
            connection.commit()
            log(f"{name} rebuilt in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        fill_pairs(connection)
        connection.commit()
        log(f"articles_pairs filled in {time.perf_counter() - t0:.0f} s")
        for _, sql in triggers:
            connection.exec_driver_sql(sql)
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    db.close()


_COPY_SKIP = {"search_vector", "search_exact", "search_head"}  # generated on PostgreSQL


def build_postgres(url: str, source: str) -> None:
    """COPY every article and article_url of the SQLite file ``source`` into ``url``."""
    db = open_database(url)
    lite = sqlite3.connect(source)
    with db.engine.connect() as connection:
        if connection.execute(text("SELECT count(*) FROM articles")).scalar():
            raise SystemExit(f"{url} already holds articles")
        gin = [(name, sql) for name, sql in connection.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'articles' AND indexdef LIKE '%USING gin%'"))]
        for name, _ in gin:
            connection.execute(text(f"DROP INDEX {name}"))
        connection.execute(text("SET TIME ZONE 'UTC'"))
        raw = connection.connection.driver_connection
        for table in ("articles", "article_urls"):
            columns = [c[1] for c in lite.execute(f"PRAGMA table_info({table})") if c[1] not in _COPY_SKIP]
            t0 = time.perf_counter()
            with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in lite.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"):
                    copy.write_row(row)
            log(f"{table} copied in {time.perf_counter() - t0:.0f} s")
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        connection.commit()
        connection.execute(text("SET maintenance_work_mem = '1GB'"))
        for name, sql in gin:
            t0 = time.perf_counter()
            connection.execute(text(sql))
            connection.commit()
            log(f"{name} built in {time.perf_counter() - t0:.0f} s")
        connection.execute(text("ANALYZE articles"))
        connection.commit()
    lite.close()
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL to fill (empty)")
    parser.add_argument("--rows", type=int, help="SQLite: generate and load this many articles")
    parser.add_argument("--from-sqlite", metavar="FILE", help="PostgreSQL: copy the articles of this SQLite file")
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    if args.from_sqlite:
        build_postgres(args.db, args.from_sqlite)
    elif args.rows:
        build_sqlite(args.db, args.rows)
    else:
        parser.error("give --rows (SQLite) or --from-sqlite (PostgreSQL)")
    log(f"built in {time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU of this process")


if __name__ == "__main__":
    main()
