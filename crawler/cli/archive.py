"""Commands over the raw archive: ``reextract``, ``import-warc`` and ``archive show|get|verify|stats``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from crawler.archive.warc import ArchivedPage, default_directory
from crawler.cli.options import DbOption, SourcesOption, registry_or_exit
from crawler.cli.output import (
    ExitCode,
    Format,
    day_or_exit,
    fail,
    print_json,
    print_table,
    stderr,
)
from crawler.services import archive as service
from crawler.services.import_warc import import_warcs
from crawler.services.reextract import ReextractReport, Selection, reextract
from crawler.settings import PROVNEWS_REEXTRACT_CHUNK, from_environment
from storage.database import open_database
from storage.engine import Database, StorageError, database_url

archive_app = typer.Typer(help="The raw archive: every article page as fetched (WARC).", no_args_is_help=True)

ArchiveDirOption = Annotated[Path | None, typer.Option(
    "--archive-dir", envvar="PROVNEWS_ARCHIVE_DIR", show_envvar=True,
    help="The WARC archive directory (default: provnews-archive/ beside the SQLite file).")]


def archive_dir(option: Path | None, db_url: str) -> Path:
    return option or default_directory(db_url)


def _open(db: str | None) -> Database:
    try:
        return open_database(database_url(db))
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)


def _ids(value: str | None) -> tuple[int, ...]:
    if not value:
        return ()
    try:
        return tuple(int(part) for part in value.replace(",", " ").split())
    except ValueError:
        fail(f"--ids {value!r} is not a list of article ids (e.g. 12,15,40)", ExitCode.USAGE)


def reextract_command(
    outlet: Annotated[str | None, typer.Option(help="Only this outlet key.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    ids: Annotated[str | None, typer.Option(help="Only these article ids (comma separated).")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Also articles the current extractor already produced (default: only the others, "
                      "so a stopped run continues where it stopped).")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Extracting processes.")] = 1,
    format_: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    archive: ArchiveDirOption = None,
    sources: SourcesOption = None,
    db: DbOption = None,
) -> None:
    """Extract archived pages again with the current extractor; fetches nothing.

    Only fields that changed are written; every article read gets the extractor's
    version, and a changed text becomes a version marked as a re-extraction.

    Example: [bold]provnews reextract --outlet baolangson --since 2025-01-01 --workers 2[/]
    """
    registry_or_exit(sources)
    selection = Selection(outlet, day_or_exit(since, "--since"), day_or_exit(until, "--until"), _ids(ids), all_)
    url = database_url(db)
    database = _open(db)
    columns = (TextColumn("[bold]re-extracting[/]"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=stderr) as progress:
            task = progress.add_task("", total=None)
            report = reextract(database, archive_dir(archive, url), selection, workers=workers,
                               sources=str(sources) if sources else None, chunk=_chunk(),
                               on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    finally:
        database.close()
    _print_report(report, format_)


def _chunk() -> int:
    try:
        return from_environment().get("PROVNEWS_REEXTRACT_CHUNK", PROVNEWS_REEXTRACT_CHUNK)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)


def _print_report(report: ReextractReport, format_: Format) -> None:
    data = {"selected": report.selected, "read": report.read, "changed": report.changed,
            "versions": report.versions, "fields": dict(report.fields), "kept": dict(report.kept)}
    if format_ is Format.json:
        print_json(data)
        return
    print_table("Re-extraction", ["selected", "read", "changed", "new versions", "fields changed", "kept as stored"],
                [[report.selected, report.read, report.changed, report.versions,
                  ", ".join(f"{k}: {v}" for k, v in sorted(report.fields.items())) or "-",
                  ", ".join(f"{k}: {v}" for k, v in sorted(report.kept.items())) or "-"]])


def _print_page(page: ArchivedPage, headers: bool, out: Path | None) -> None:
    if headers:
        stderr.print(f"{page.url} {page.status} fetched {page.fetched_at.isoformat()} {page.record_id}",
                     highlight=False)
        for name, value in page.headers:
            stderr.print(f"{name}: {value}", highlight=False)
    if out is not None:
        out.write_bytes(page.body)
        return
    sys.stdout.buffer.write(page.body)
    sys.stdout.buffer.flush()


def _show(id_or_url: str, headers: bool, out: Path | None, archive: Path | None, db: str | None) -> None:
    url = database_url(db)
    database = _open(db)
    try:
        with database.read_session() as session:
            page = service.page_of(session, archive_dir(archive, url), id_or_url)
    except (OSError, ValueError) as exc:
        fail(f"the archived page of {id_or_url} cannot be read: {exc}", ExitCode.FAILURE)
    finally:
        database.close()
    if page is None:
        fail(f"no archived page for {id_or_url}", ExitCode.NOT_FOUND)
    _print_page(page, headers, out)


HeadersOption = Annotated[bool, typer.Option(
    "--headers", help="Also print the URL, status, fetch time and HTTP headers (to stderr).")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write the page to this file.")]


@archive_app.command()
def show(
    article_id: Annotated[int, typer.Argument(help="The article's id.")],
    headers: HeadersOption = False,
    out: OutOption = None,
    archive: ArchiveDirOption = None,
    db: DbOption = None,
) -> None:
    """Print the raw page an article was read from, byte for byte as fetched.

    Example: [bold]provnews archive show 12 --headers --out page.html[/]
    """
    _show(str(article_id), headers, out, archive, db)


@archive_app.command()
def get(
    url: Annotated[str, typer.Argument(help="Any URL the article was seen at.")],
    headers: HeadersOption = False,
    out: OutOption = None,
    archive: ArchiveDirOption = None,
    db: DbOption = None,
) -> None:
    """Print the raw page archived for an article URL.

    Example: [bold]provnews archive get https://baolangson.vn/dua-nuoc-ve-ban-5000013.html > page.html[/]
    """
    _show(url, headers, out, archive, db)


@archive_app.command()
def verify(
    archive: ArchiveDirOption = None,
    db: DbOption = None,
) -> None:
    """Check every article and version pointer: the record is there and its digest matches.

    Exits 1 when any pointer fails, naming the first few.

    Example: [bold]provnews archive verify --db sqlite:///provnews.db[/]
    """
    url = database_url(db)
    database = _open(db)
    try:
        with database.read_session() as session:
            result = service.verify(session, archive_dir(archive, url))
    finally:
        database.close()
    print_json({"pointers": result.pointers, "problems": dict(result.problems), "examples": result.examples})
    if result.problems:
        raise typer.Exit(ExitCode.FAILURE)


@archive_app.command()
def stats(
    archive: ArchiveDirOption = None,
    db: DbOption = None,
) -> None:
    """What the archive holds and costs: records, files, bytes on disk per archived article (JSON).

    Example: [bold]provnews archive stats[/]
    """
    url = database_url(db)
    database = _open(db)
    try:
        with database.read_session() as session:
            size = service.size(session, archive_dir(archive, url))
    finally:
        database.close()
    print_json({"records": size.records, "record_bytes": size.record_bytes, "articles": size.articles,
                "files": size.files, "file_bytes": size.file_bytes,
                "bytes_per_article": round(size.bytes_per_article, 1)})


def import_warc_command(
    files: Annotated[list[Path], typer.Argument(help="WARC files (.warc or .warc.gz) from any crawler.")],
    keep: Annotated[bool, typer.Option(
        "--archive/--no-archive", help="Copy each imported page into our archive, so it can be re-extracted.")] = True,
    format_: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    archive: ArchiveDirOption = None,
    sources: SourcesOption = None,
    db: DbOption = None,
) -> None:
    """Import articles of registered outlets from other crawlers' WARC files.

    Files written by wget --warc-file, Heritrix or Browsertrix go through the crawl's pipelines.

    Exits 1 when nothing could be stored.

    Example: [bold]provnews import-warc baolangson.warc.gz --db sqlite:///provnews.db[/]
    """
    registry = registry_or_exit(sources)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}", ExitCode.NOT_FOUND)
    url = database_url(db)
    database = _open(db)
    try:
        report = import_warcs(database, files, registry, archive_dir(archive, url) if keep else None)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    except (OSError, ValueError) as exc:
        fail(f"cannot read the WARC input: {exc}", ExitCode.FAILURE)
    finally:
        database.close()
    data = {"responses": report.responses, "stored": report.stored, "skipped": dict(report.skipped)}
    if format_ is Format.json:
        print_json(data)
    else:
        print_table("WARC import", ["responses", "stored", "skipped"],
                    [[report.responses, report.stored,
                      ", ".join(f"{k}: {v}" for k, v in sorted(report.skipped.items())) or "-"]])
    if not report.stored:
        raise typer.Exit(ExitCode.FAILURE)


@archive_app.command()
def prune(
    keep: Annotated[str, typer.Option(
        "--keep", help="Retention: 90d keeps pages fetched in the last 90 days, 3v the pages of each "
                       "article's 3 newest versions; an article's current page is always kept.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go; change nothing.")] = False,
    archive: ArchiveDirOption = None,
    db: DbOption = None,
) -> None:
    """Drop archived pages the retention policy lets go, rewriting the files that held them (JSON report).

    Example: [bold]provnews archive prune --keep 3v --dry-run[/]
    """
    try:
        policy = service.Keep.parse(keep)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    url = database_url(db)
    database = _open(db)
    try:
        report = service.prune(database, archive_dir(archive, url), policy, dry_run=dry_run)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    finally:
        database.close()
    print_json({"dry_run": dry_run, "dropped": report.dropped, "files_rewritten": report.files_rewritten,
                "bytes_before": report.bytes_before, "bytes_after": report.bytes_after})
