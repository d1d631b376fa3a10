"""Output for every command: data to stdout (table, JSON or CSV), messages to stderr."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from enum import Enum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.services.exit_codes import ExitCode
from crawler.services.export import csv_cell
from crawler.services.search import parse_day

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option("--format", help="table (for people), json or csv.")]


def fail(message: str, code: int) -> NoReturn:
    # Escaped and unwrapped: a message is one line, brackets in it are not markup.
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_csv(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})


def print_table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Plain values become Text, so brackets in titles are never read as markup.
        table.add_row(*(r if isinstance(r, Text) else Text("" if r is None else str(r)) for r in row))
    stdout.print(table)


def day_or_exit(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option, or exit 2 naming it."""
    try:
        return parse_day(value, option)
    except ValueError as exc:
        fail(str(exc), ExitCode.USAGE)
