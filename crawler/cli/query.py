"""Commands that read: ``extract`` (a saved page), ``search`` and ``show`` (the database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from crawler.cli.options import DbOption, SourcesOption, registry_or_exit
from crawler.cli.output import (
    ExitCode,
    Format,
    FormatOption,
    RecordFormat,
    fail,
    print_json,
    print_rows,
    print_table,
    stderr,
)
from crawler.core.registry import outlet_for_url
from crawler.extraction import ExtractionError, extract_bytes
from crawler.services.search import SEARCH_LIMIT_MAX, find_articles, parse_day
from storage.database import open_database
from storage.engine import StorageError, database_url
from storage.queries import get_article
from storage.search import SearchHit


def extract(
    files: Annotated[list[Path], typer.Argument(help="Saved HTML files (any encoding).", exists=True, dir_okay=False)],
    url: Annotated[str | None, typer.Option(help="The page's URL (selects the outlet's rules).")] = None,
    format_: Annotated[RecordFormat, typer.Option("--format", help="json (a list, whatever the number of "
                                                  "files) or table.")] = RecordFormat.json,
    sources: SourcesOption = None,
) -> None:
    """Extract articles from saved HTML: no network, nothing stored.

    Example: [bold]provnews extract page.html --url https://baolangson.vn/x-5071654.html[/]
    """
    registry = registry_or_exit(sources)
    records, failed = [], 0
    for path in files:
        page_url = url or path.resolve().as_uri()
        try:
            record = extract_bytes(path.read_bytes(), page_url, outlet=outlet_for_url(registry, page_url))
        except ExtractionError as exc:
            stderr.print(f"{path}: no article ({exc.reason}: {exc})", highlight=False)
            failed += 1
            continue
        records.append(record.as_json())
    if format_ is RecordFormat.table:
        print_table("Extracted", ["title", "published_at", "authors", "words"],
                    [[r["title"], r["published_at"], ", ".join(r["authors"]), r["word_count"]] for r in records])
    else:
        print_json(records)
    if failed:
        raise typer.Exit(ExitCode.FAILURE)


def search(
    query: Annotated[str | None, typer.Argument(help="Words or \"a phrase\"; diacritics optional.")] = None,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet key.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    province: Annotated[str | None, typer.Option(help="Only this province (diacritics optional).")] = None,
    section: Annotated[str | None, typer.Option(help="Only this section (diacritics optional).")] = None,
    author: Annotated[str | None, typer.Option(help="Authors matching this name or part of it.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=SEARCH_LIMIT_MAX, help="At most this many results.")] = 20,
    collapse: Annotated[bool, typer.Option("--collapse", help="One result per story (copies folded).")] = False,
    include_flagged: Annotated[bool, typer.Option(
        "--include-flagged", help="Also articles whose text is mojibake or in a legacy font (TCVN3, VNI).")] = False,
    format_: FormatOption = Format.table,
    db: DbOption = None,
) -> None:
    """Search stored articles; without a query, list the newest.

    Example: [bold]provnews search "lang son" --since 2025-01-01 --province "lang son" --collapse --format json[/]
    """
    try:
        since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    try:
        database = open_database(database_url(db), create=False)
        with database.read_session() as session:
            records, snippets, newest_only = find_articles(
                session, query, limit=limit, collapse=collapse, include_flagged=include_flagged, outlet=outlet,
                since=since_day, until=until_day, province=province, section=section, author=author)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if newest_only:
        stderr.print(f"note: every word of this query is very common, so only the newest {newest_only:,} "
                     "articles were searched; give --since/--until to search a date range", highlight=False,
                     soft_wrap=True)
    rows = [r.as_json() for r in records]
    if not print_rows(format_, rows):
        print_table(f"{len(rows)} result(s)", ["id", "outlet", "published_at", "title", "snippet"], [
            [r["id"], r["outlet"], r["published_at"], r["title"],
             _snippet_markup(snippets[r["id"]]) if r["id"] in snippets else (r["summary"] or "")[:160]]
            for r in rows])


def _snippet_markup(hit: SearchHit) -> Text:
    """The hit's snippet with its matches highlighted."""
    text = Text(hit.snippet)
    for start, end in hit.highlights:
        text.stylize("bold yellow", start, end)
    return text


def show(
    ident: Annotated[str, typer.Argument(metavar="ID|URL", help="Article id or any of its URLs.")],
    format_: Annotated[RecordFormat, typer.Option("--format", help="json or table.")] = RecordFormat.json,
    db: DbOption = None,
) -> None:
    """Show one stored article.

    Example: [bold]provnews show 12[/]
    """
    try:
        database = open_database(database_url(db), create=False)
        with database.session() as session:
            record = get_article(session, int(ident) if ident.isdigit() else ident)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if record is None:
        fail(f"no article {ident!r}", ExitCode.NOT_FOUND)
    data = record.as_json()
    if format_ is RecordFormat.json:
        print_json(data)
    else:
        print_table(data["title"], ["field", "value"], [[k, v] for k, v in data.items()])
