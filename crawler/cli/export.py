"""Commands over the whole store: ``export`` (stream articles to a file) and ``stats``.

``export`` streams: rows come from ``storage.iter_articles`` a batch at a time
and are written as they arrive, so memory stays flat however large the
database is. The file appears only when complete: it is written beside the
target under a temporary name and renamed at the end, so a failure (database
fault, full disk, Ctrl-C) never leaves a half-written export behind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.text import Text
from sqlalchemy.orm import Session

from crawler.cli.archive import ArchiveDirOption, archive_dir
from crawler.cli.options import DbOption, SourcesOption, registry_or_exit
from crawler.cli.output import (
    LOCAL_ZONE,
    ExitCode,
    Format,
    FormatOption,
    fail,
    local_minute,
    print_rows,
    print_table,
    stderr,
)
from crawler.services.archive import write_warc
from crawler.services.export import (
    WRITERS,
    ExportFormat,
    Row,
    atomic_output,
    parquet_available,
    with_stories,
)
from crawler.services.search import FilterError, check_filters, parse_range
from storage.database import open_database
from storage.engine import StorageError, database_url
from storage.queries import OutletStats, iter_articles, outlet_stats

SPARK = "▁▂▃▄▅▆▇█"


def export(
    query: Annotated[str | None, typer.Argument(help="Only articles matching these words or \"a phrase\".")] = None,
    format_: Annotated[ExportFormat, typer.Option(
        "--format", help="jsonl, csv, parquet, or warc (the archived pages as fetched).")] = ExportFormat.jsonl,
    out: Annotated[str, typer.Option("--out", "-o", help="Output file; '-' for stdout (jsonl and csv).")] = "-",
    outlet: Annotated[str | None, typer.Option(help="Only this outlet key.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    province: Annotated[str | None, typer.Option(help="Only this province (diacritics optional).")] = None,
    section: Annotated[str | None, typer.Option(help="Only this section (diacritics optional).")] = None,
    author: Annotated[str | None, typer.Option(help="Only authors whose name contains this.")] = None,
    include_flagged: Annotated[bool, typer.Option(
        "--include-flagged", help="Also articles whose text is mojibake or in a legacy font (TCVN3, VNI).")] = False,
    archive: ArchiveDirOption = None,
    db: DbOption = None,
    sources: SourcesOption = None,
) -> None:
    """Export stored articles, streaming, in id order; the file appears only when complete.

    Example: [bold]provnews export --format parquet --out baolangson.parquet --outlet baolangson --since 2025-01-01[/]
    """
    try:
        since_day, until_day = parse_range(since, until, ("--since", "--until"))
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    registry = registry_or_exit(sources)
    if format_ is ExportFormat.parquet:
        if out == "-":
            fail("--format parquet needs --out FILE (it cannot stream to stdout)", ExitCode.USAGE)
        if not parquet_available():
            fail("--format parquet needs pyarrow: pip install 'provnews[parquet]'", ExitCode.USAGE)
    target = None if out == "-" else Path(out)
    if target is not None and not target.parent.is_dir():
        fail(f"cannot write {out}: directory {str(target.parent)!r} does not exist", ExitCode.FAILURE)
    try:
        database = open_database(database_url(db), create=False)
        try:
            with database.read_session() as session:
                writer = WRITERS.get(format_) or _warc_writer(session, archive_dir(archive, database_url(db)))
                check_filters(session, registry, outlet=outlet, province=province, section=section)
                records = with_stories(session, iter_articles(
                    session, query=query, outlet=outlet, since=since_day, until=until_day, province=province,
                    section=section, author=author, include_flagged=include_flagged))
                if target is None:
                    count = writer(sys.stdout.buffer, records)
                    sys.stdout.buffer.flush()
                else:
                    with atomic_output(target) as handle:
                        count = writer(handle, records)
        finally:
            database.close()
    except FilterError as exc:
        fail(str(exc), ExitCode.USAGE)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}", ExitCode.FAILURE)
    stderr.print(f"exported {count} article(s)" + (f" to {out}" if target else ""), highlight=False)


def _warc_writer(session: Session, directory: Path) -> Callable[[IO[bytes], Iterable[Row]], int]:
    """``--format warc``: the archived page of each selected article (its story is not needed)."""
    return lambda out, rows: write_warc(out, session, directory, (r.id for r, _ in rows if r.id is not None))


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
    format_: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Per outlet: articles, first and last publication, last crawl, articles per day.

    Example: [bold]provnews stats --days 14[/]
    """
    try:
        database = open_database(database_url(db), create=False)
        try:
            with database.read_session() as session:
                rows: list[OutletStats] = outlet_stats(session, days=days)
        finally:
            database.close()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if print_rows(format_, [{
            "outlet": r.outlet, "articles": r.articles, "first_published": _iso(r.first_published),
            "last_published": _iso(r.last_published), "last_crawl": _iso(r.last_fetched), "daily": r.daily,
        } for r in rows]):
        return
    # Most telling first: at 80 columns the last ones are left out (json has them all).
    print_table(f"{sum(r.articles for r in rows)} article(s) in {len(rows)} outlet(s)",
                ["outlet", "articles", f"last {days} days", "in window", "last published",
                 f"last crawl ({LOCAL_ZONE})", "first published"],
                [[r.outlet or "-", r.articles, Text(sparkline(r.daily), style="green"), sum(r.daily),
                  _day(r.last_published), local_minute(r.last_fetched), _day(r.first_published)] for r in rows])


def _day(value) -> str:  # type: ignore[no-untyped-def]
    return value.date().isoformat() if value else "-"

