"""Commands over the whole store: ``export`` (stream articles to a file) and ``stats``.

``export`` streams: rows come from ``storage.iter_articles`` a batch at a time
and are written as they arrive, so memory stays flat however large the
database is. The file appears only when complete: it is written beside the
target under a temporary name and renamed at the end, so a failure (database
fault, full disk, Ctrl-C) never leaves a half-written export behind.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.text import Text

from crawler.cli.options import DbOption
from crawler.cli.output import ExitCode, Format, _csv_cell, fail, print_json, print_table, stderr
from crawler.record import RECORD_FIELDS, ArticleRecord
from storage.engine import StorageError, database_url, open_database
from storage.queries import OutletStats, iter_articles, outlet_stats

PARQUET_BATCH = 5000
SPARK = "▁▂▃▄▅▆▇█"


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date of the form YYYY-MM-DD", ExitCode.USAGE)


# ---- writers: each takes an open binary file and an iterable of records, returns the count


def write_jsonl(out: IO[bytes], records: Iterable[ArticleRecord]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record.as_json(), ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


def write_csv(out: IO[bytes], records: Iterable[ArticleRecord]) -> int:
    import io

    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.DictWriter(text, fieldnames=list(RECORD_FIELDS))
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({k: _csv_cell(v) for k, v in record.as_json().items()})
        count += 1
    text.flush()
    text.detach()  # leave ``out`` open for the caller
    return count


def parquet_schema():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    vn_time = pa.timestamp("us", tz="+07:00")
    return pa.schema([
        ("id", pa.int64()), ("outlet", pa.string()), ("url", pa.string()), ("canonical_url", pa.string()),
        ("title", pa.string()), ("summary", pa.string()), ("text", pa.string()),
        ("authors", pa.list_(pa.string())), ("attribution", pa.string()),
        ("published_at", vn_time), ("published_at_source", pa.string()), ("updated_at", vn_time),
        ("section", pa.string()), ("tags", pa.list_(pa.string())), ("image_url", pa.string()),
        ("images", pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())]))),
        ("language", pa.string()), ("word_count", pa.int64()), ("content_hash", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")), ("province", pa.string()),
        ("gone_at", pa.timestamp("us", tz="UTC")),
    ])


def _parquet_row(record: ArticleRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in RECORD_FIELDS}
    row["images"] = [{"url": image.url, "caption": image.caption} for image in record.images]
    return row


def write_parquet(out: IO[bytes], records: Iterable[ArticleRecord]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(_parquet_row(record))
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch.clear()
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


WRITERS = {ExportFormat.jsonl: write_jsonl, ExportFormat.csv: write_csv, ExportFormat.parquet: write_parquet}


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside ``path``, renamed onto it only if the block succeeds."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export(
    query: Annotated[str | None, typer.Argument(help="Only articles matching these words or \"a phrase\".")] = None,
    format_: Annotated[ExportFormat, typer.Option("--format", help="jsonl, csv or parquet.")] = ExportFormat.jsonl,
    out: Annotated[str, typer.Option("--out", "-o", help="Output file; '-' for stdout (jsonl and csv).")] = "-",
    outlet: Annotated[str | None, typer.Option(help="Only this outlet key.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    province: Annotated[str | None, typer.Option(help="Only this province (diacritics optional).")] = None,
    section: Annotated[str | None, typer.Option(help="Only this section (diacritics optional).")] = None,
    author: Annotated[str | None, typer.Option(help="Only authors whose name contains this.")] = None,
    include_flagged: Annotated[bool, typer.Option(
        "--include-flagged", help="Also articles whose text is mojibake or in a legacy font (TCVN3, VNI).")] = False,
    db: DbOption = None,
) -> None:
    """Export stored articles, streaming, in id order; the file appears only when complete.

    Example: [bold]provnews export --format parquet --out baolangson.parquet --outlet baolangson --since 2025-01-01[/]
    """
    since_day, until_day = _parse_day(since, "--since"), _parse_day(until, "--until")
    if format_ is ExportFormat.parquet:
        if out == "-":
            fail("--format parquet needs --out FILE (it cannot stream to stdout)", ExitCode.USAGE)
        if not parquet_available():
            fail("--format parquet needs pyarrow: pip install 'provnews[parquet]'", ExitCode.USAGE)
    target = None if out == "-" else Path(out)
    if target is not None and not target.parent.is_dir():
        fail(f"cannot write {out}: directory {str(target.parent)!r} does not exist", ExitCode.FAILURE)
    writer = WRITERS[format_]
    try:
        database = open_database(database_url(db))
        try:
            with database.read_session() as session:
                records = iter_articles(session, query=query, outlet=outlet, since=since_day, until=until_day,
                                        province=province, section=section, author=author,
                                        include_flagged=include_flagged)
                if target is None:
                    count = writer(sys.stdout.buffer, records)
                    sys.stdout.buffer.flush()
                else:
                    with atomic_output(target) as handle:
                        count = writer(handle, records)
        finally:
            database.close()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}", ExitCode.FAILURE)
    stderr.print(f"exported {count} article(s)" + (f" to {out}" if target else ""), highlight=False)


def sparkline(values: list[int]) -> str:
    """One character per day; '·' marks a day with nothing published."""
    peak = max(values, default=0)
    if peak == 0:
        return "·" * len(values)
    return "".join("·" if v == 0 else SPARK[min(len(SPARK) - 1, (v * len(SPARK) - 1) // peak)] for v in values)


def _iso(value) -> str | None:  # type: ignore[no-untyped-def]
    return value.isoformat() if value else None


def stats(
    days: Annotated[int, typer.Option(min=1, max=366, help="Days in the per-day histogram.")] = 30,
    format_: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    db: DbOption = None,
) -> None:
    """Per outlet: articles, first and last publication, last crawl, articles per day.

    Example: [bold]provnews stats --days 14[/]
    """
    try:
        database = open_database(database_url(db))
        try:
            with database.read_session() as session:
                rows: list[OutletStats] = outlet_stats(session, days=days)
        finally:
            database.close()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if format_ is Format.json:
        print_json([{
            "outlet": r.outlet, "articles": r.articles, "first_published": _iso(r.first_published),
            "last_published": _iso(r.last_published), "last_crawl": _iso(r.last_fetched), "daily": r.daily,
        } for r in rows])
        return
    if format_ is Format.csv:
        fail("stats prints a table or JSON", ExitCode.USAGE)
    print_table(f"{sum(r.articles for r in rows)} article(s) in {len(rows)} outlet(s)",
                ["outlet", "articles", "first published", "last published", "last crawl",
                 f"last {days} days", "in window"],
                [[r.outlet or "-", r.articles, _day(r.first_published), _day(r.last_published),
                  _minute(r.last_fetched), Text(sparkline(r.daily), style="green"), sum(r.daily)] for r in rows])


def _day(value) -> str:  # type: ignore[no-untyped-def]
    return value.date().isoformat() if value else "-"


def _minute(value) -> str:  # type: ignore[no-untyped-def]
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
