"""Output for every command: data to stdout (table, JSON or CSV), messages to stderr."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ExitCode:
    """Documented in the README; every command follows it."""

    OK = 0
    FAILURE = 1        # the command ran but did not do its job (e.g. nothing extracted)
    USAGE = 2          # bad option or argument (Typer's own code for usage errors)
    SOURCES = 3        # the outlet registry or a --sources file is invalid
    DATABASE = 4       # the database cannot be opened, read or written
    NOT_FOUND = 5      # the article, outlet or file asked for does not exist
    REFUSED = 6        # a URL refused by policy (egress guard: scheme, port, private address)


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
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})


def _csv_cell(value: Any) -> Any:
    """Lists of names as ``a; b``; nested data (images) as JSON, so nothing is lost."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def print_table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        # Plain values become Text, so brackets in titles are never read as markup.
        table.add_row(*(r if isinstance(r, Text) else Text("" if r is None else str(r)) for r in row))
    stdout.print(table)
