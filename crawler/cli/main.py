"""The ``provnews`` command: one sub-command or sub-app per job, wired here.

Commands are thin: they parse options, call crawler/storage functions and print.
"""

from __future__ import annotations

import signal
import sys

import typer

from crawler.cli import crawl, export, history, query, serve, sources
from crawler.cli import eval as evaluate
from crawler.cli.db import db_app
from crawler.cli.mirror import mirror_app
from crawler.cli.schedule import schedule_app
from crawler.services.exit_codes import ExitCode

app = typer.Typer(
    name="provnews",
    help="Collect, clean and search Vietnamese provincial news.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.command()(crawl.demo)
app.command()(crawl.crawl)
app.command()(crawl.scrape)
app.command()(query.extract)
app.command()(query.search)
app.command()(query.show)
app.command()(serve.serve)
app.command()(history.history)
app.command()(history.story)
app.command()(history.runs)
app.command(name="eval")(evaluate.evaluate)
app.add_typer(sources.sources_app, name="sources")
app.add_typer(mirror_app, name="mirror")
app.add_typer(schedule_app, name="schedule")
app.command()(export.stats)
app.command()(export.export)
app.add_typer(db_app, name="db")


class Interrupted(BaseException):
    """SIGINT or SIGTERM outside a crawl (a crawl installs its own handlers). A
    BaseException, so neither ``except Exception`` nor Click (which turns a
    KeyboardInterrupt into "Aborted!" and exit 1) stops it on its way to ``main``."""


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def main() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        app()
    except (Interrupted, KeyboardInterrupt):
        sys.stderr.write("interrupted\n")
        sys.exit(ExitCode.INTERRUPTED)
