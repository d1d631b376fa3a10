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
from crawler.services.search import (
    SEARCH_DEPTH_MAX,
    SEARCH_LIMIT_MAX,
    FilterError,
    Page,
    check_filters,
    find_articles,
    parse_range,
    show_article,
    total_text,
)
from storage.database import open_database
from storage.engine import StorageError, database_url
from storage.search import SearchHit, parse_query


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
    query: Annotated[str | None, typer.Argument(
        help="Words (diacritics optional), \"a phrase\", OR between alternatives, -word to exclude.")] = None,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet key.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    province: Annotated[str | None, typer.Option(help="Only this province (diacritics optional).")] = None,
    section: Annotated[str | None, typer.Option(help="Only this section (diacritics optional).")] = None,
    author: Annotated[str | None, typer.Option(help="Authors matching this name or part of it.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=SEARCH_LIMIT_MAX, help="Results per page.")] = 20,
    offset: Annotated[int | None, typer.Option(min=0, help="Skip this many results.")] = None,
    page: Annotated[int | None, typer.Option(min=1, help="Page number (of --limit results), from 1.")] = None,
    as_of: Annotated[int | None, typer.Option(
        "--as-of", min=0, help="Search only articles stored up to this id (printed with page 1): "
                               "later pages then neither repeat nor skip while a crawl inserts.")] = None,
    collapse: Annotated[bool, typer.Option("--collapse", help="One result per story (copies folded).")] = False,
    include_flagged: Annotated[bool, typer.Option(
        "--include-flagged", help="Also articles whose text is mojibake or in a legacy font (TCVN3, VNI).")] = False,
    format_: FormatOption = Format.table,
    db: DbOption = None,
    sources: SourcesOption = None,
) -> None:
    """Search stored articles; without a query, list the newest.

    Unquoted words typed together rank articles holding them in sequence first, then
    near each other.

    Example: [bold]provnews search "cửa khẩu" -"Tân Thanh" --since 2025-01-01 --page 2 --format json[/]
    """
    skip = _offset(offset, page, limit)
    try:
        since_day, until_day = parse_range(since, until, ("--since", "--until"))
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
    if query is not None and parse_query(query).only_excluded:
        fail("the query only excludes (-word): add a word to search for", ExitCode.USAGE)
    registry = registry_or_exit(sources)
    try:
        database = open_database(database_url(db), create=False)
        with database.read_session() as session:
            check_filters(session, registry, outlet=outlet, province=province, section=section)
            found = find_articles(
                session, query, limit=limit, offset=skip, as_of=as_of, collapse=collapse,
                include_flagged=include_flagged, outlet=outlet, since=since_day, until=until_day,
                province=province, section=section, author=author)
    except FilterError as exc:
        fail(str(exc), ExitCode.USAGE)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    _notes(query, found)
    if not print_rows(format_, found.records):
        print_table(f"results {total_text(found)}", ["id", "outlet", "published_at", "title", "url", "snippet"], [
            [r["id"], r["outlet"], r["published_at"], r["title"], r["url"],
             _snippet_markup(found.hits[r["id"]]) if r["id"] in found.hits else (r["summary"] or "")[:160]]
            for r in found.records])


def _offset(offset: int | None, page: int | None, limit: int) -> int:
    """--offset, or --page as an offset; not both, and never past SEARCH_DEPTH_MAX."""
    if offset is not None and page is not None:
        fail("give --offset or --page, not both", ExitCode.USAGE)
    skip = offset if offset is not None else ((page or 1) - 1) * limit
    if skip + limit > SEARCH_DEPTH_MAX:
        fail(f"--offset/--page reach past result {SEARCH_DEPTH_MAX:,}: narrow the search with filters",
             ExitCode.USAGE)
    return skip


def _notes(query: str | None, found: Page) -> None:
    """What the data alone does not say, on stderr: the total, the id to page on, and why results may be loose."""
    note = f"{total_text(found)} result(s); next pages: --as-of {found.as_of}" if found.as_of else ""
    if note:
        stderr.print(note, highlight=False, soft_wrap=True)
    if found.loose:
        stderr.print(f"note: no article holds {query!r} as typed; these hold its syllables apart or spelled "
                     "with other diacritics", highlight=False, soft_wrap=True)
    if found.newest_only:
        stderr.print(f"note: every word of this query is very common, so only the newest {found.newest_only:,} "
                     "articles were searched; give --since/--until to search a date range", highlight=False,
                     soft_wrap=True)


def _snippet_markup(hit: SearchHit) -> Text:
    """The hit's snippet with its matches highlighted."""
    text = Text(hit.snippet)
    for start, end in hit.highlights:
        text.stylize("bold yellow", start, end)
    return text


def show(
    ident: Annotated[str, typer.Argument(
        metavar="ID|URL", help="Article id or any of its URLs (tracking parameters, #fragment, http/www./AMP "
                               "variants included).")],
    format_: Annotated[RecordFormat, typer.Option("--format", help="json or table.")] = RecordFormat.json,
    db: DbOption = None,
) -> None:
    """Show one stored article.

    Example: [bold]provnews show 12[/] or [bold]provnews show "http://www.baolangson.vn/x-5071654.html?utm_source=fb"[/]
    """
    try:
        database = open_database(database_url(db), create=False)
        with database.session() as session:
            data = show_article(session, ident)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if data is None:
        fail(f"no article {ident!r}", ExitCode.NOT_FOUND)
    if format_ is RecordFormat.json:
        print_json(data)
    else:
        print_table(data["title"], ["field", "value"], [[k, v] for k, v in data.items()])
