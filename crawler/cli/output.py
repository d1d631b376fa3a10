"""Output for every command: data to stdout (table, JSON or CSV), messages to stderr."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.core.dates import DEFAULT_TZ
from crawler.services.exit_codes import ExitCode
from crawler.services.export import csv_cell
from crawler.services.search import parse_day

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


class Format(str, Enum):
    """What a listing command prints: rows for people, or for programs."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class RecordFormat(str, Enum):
    """What a command that prints one record or report prints."""

    table = "table"
    json = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="table (for people), json, jsonl or csv.")]
RecordFormatOption = Annotated[RecordFormat, typer.Option("--format", help="table (for people) or json.")]


def fail(message: str, code: int) -> NoReturn:
    # Escaped and unwrapped: a message is one line, brackets in it are not markup.
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_rows(format_: Format, rows: list[dict[str, Any]]) -> bool:
    """Print a listing as json, jsonl or csv and say so; False leaves the table to the command."""
    if format_ is Format.json:
        print_json(rows)
    elif format_ is Format.jsonl:
        sys.stdout.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    elif format_ is Format.csv:
        print_csv(rows)
    return format_ is not Format.table


def print_csv(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})


# A column's width on screen beyond its text: a border and a space either side.
_COLUMN_FRAME = 3
# No column is kept this wide for its longest word alone (a URL): such a word is cut
# with "…" rather than folded over lines.
_WIDEST_WORD = 32


def print_table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """A table that fits the terminal without breaking a word: cells wrap between words,
    a word wider than its column is cut with "…", and columns that cannot fit at their
    longest word are left out, from the right, with a note on stderr (json shows all).

    The widths are set here: Rich's own layout folds words to fit."""
    cells = [[r if isinstance(r, Text) else Text("" if r is None else str(r)) for r in row] for row in rows]
    texts = [[Text(name), *(row[i] for row in cells)] for i, name in enumerate(columns)]
    fewest = [min(max((len(word) for t in column for word in t.plain.split()), default=1), _WIDEST_WORD)
              for column in texts]
    most = [max(max((len(line) for t in column for line in t.plain.splitlines() or [""]), default=1), low)
            for column, low in zip(texts, fewest)]
    shown = _columns_that_fit(fewest, stdout.width)
    if shown < len(columns):
        stderr.print(f"({len(columns) - shown} column(s) left out at this width: "
                     f"{', '.join(columns[shown:])}; --format json shows all)", highlight=False)
    table = Table(title=title, show_lines=False)
    for name, width in zip(columns, _widths(fewest[:shown], most[:shown], stdout.width)):
        table.add_column(name, overflow="ellipsis", width=width)
    for row in cells:
        table.add_row(*row[:shown])
    stdout.print(table)


def _columns_that_fit(fewest: list[int], total: int) -> int:
    """How many leading columns fit side by side at their longest words (at least one)."""
    used = 1  # the table's left border
    for count, width in enumerate(fewest):
        used += width + _COLUMN_FRAME
        if used > total and count:
            return count
    return len(fewest)


def _widths(fewest: list[int], most: list[int], total: int) -> list[int]:
    """Each column as wide as its widest cell, narrowed (the one with most room to give
    first) until the table fits, never below its longest word."""
    widths = list(most)
    excess = 1 + sum(w + _COLUMN_FRAME for w in widths) - total
    while excess > 0:
        slack, i = max((w - low, i) for i, (w, low) in enumerate(zip(widths, fewest)))
        if slack <= 0:
            break
        widths[i] -= 1
        excess -= 1
    return widths


def local_minute(value: datetime | None) -> str:
    """A time for people: to the minute, in the outlets' zone (headers say ``LOCAL_ZONE``)."""
    return value.astimezone(DEFAULT_TZ).strftime("%Y-%m-%d %H:%M") if value else "-"


LOCAL_ZONE = "+07:00"  # Asia/Ho_Chi_Minh, the zone of every outlet; JSON keeps ISO 8601 with offsets


def day_or_exit(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option, or exit 2 naming it."""
    try:
        return parse_day(value, option)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
