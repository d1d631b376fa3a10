"""The ``provnews`` command: one sub-command or sub-app per job, wired here.

Commands are thin: they parse options, call crawler/storage functions and print.
Each is imported only when it runs (``COMMANDS``), so ``provnews --help`` and a
quick command load neither Scrapy nor SQLAlchemy: a full import took 0.8 s.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Annotated

import typer
import typer.main
from typer._click import Command, Context, HelpFormatter  # Typer's vendored Click
from typer.core import TyperCommand, TyperGroup

from crawler import __version__

# name → (module:attribute, the line `provnews --help` shows: its docstring's or help's first
# line, kept equal by tests/docs). An attribute is a command function or a Typer sub-app.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("crawler.cli.crawl:demo",
             "Crawl the bundled mirror of five outlets into a database of its own, ./provnews-demo.db."),
    "crawl": ("crawler.cli.crawl:crawl",
              "Crawl outlets: their feeds, sitemaps and listing pages, into the database."),
    "scrape": ("crawler.cli.crawl:scrape", "Fetch, extract and store one-off article URLs."),
    "extract": ("crawler.cli.query:extract", "Extract articles from saved HTML: no network, nothing stored."),
    "search": ("crawler.cli.query:search", "Search stored articles; without a query, list the newest."),
    "show": ("crawler.cli.query:show", "Show one stored article."),
    "serve": ("crawler.cli.serve:serve",
              ("Serve the web app (/ in a browser) and the HTTP API: GET /search, GET /articles/{id}, POST /scrape. "
               "Needs: pip install "
               "'provnews[api]'.")),
    "history": ("crawler.cli.history:history",
                "Show every version of an article's text, with a word diff to the one before."),
    "story": ("crawler.cli.history:story", "List every copy of the article's story: outlet, date and similarity."),
    "runs": ("crawler.cli.history:runs", "The crawl ledger: what each run requested, found, stored and failed on."),
    "eval": ("crawler.cli.eval:evaluate", "Score our extractor and plain trafilatura on the same pages."),
    "sources": ("crawler.cli.sources:sources_app", "List and inspect the outlet registry."),
    "mirror": ("crawler.cli.mirror:mirror_app",
               "Serve the bundled recordings of outlet sites, or generate a scale mirror."),
    "schedule": ("crawler.cli.schedule:schedule_app",
                 "Crawl outlets on their schedules (cron or interval, per outlet)."),
    "stats": ("crawler.cli.export:stats",
              "Per outlet: articles, first and last publication, last crawl, articles per day."),
    "export": ("crawler.cli.export:export",
               "Export stored articles, streaming, in id order; the file appears only when complete."),
    "db": ("crawler.cli.db:db_app", "Inspect or upgrade the database schema."),
    "reextract": ("crawler.cli.archive:reextract_command",
                  "Extract archived pages again with the current extractor; fetches nothing."),
    "archive": ("crawler.cli.archive:archive_app", "The raw archive: every article page as fetched (WARC)."),
    "import-warc": ("crawler.cli.archive:import_warc_command",
                    "Import articles of registered outlets from other crawlers' WARC files."),
    "worker": ("crawler.cli.worker:worker",
               "Run a Celery worker: crawl and re-extraction jobs from the broker, until SIGTERM."),
    "enqueue": ("crawler.cli.worker:enqueue_app", "Put one-off jobs on the broker for the workers."),
    "workers": ("crawler.cli.worker:workers", "List the live workers and the job each is running (Celery's inspect)."),
}


def load_command(name: str) -> Command:
    """The Click command behind ``name``, importing its module now."""
    module, attribute = COMMANDS[name][0].split(":")
    target = getattr(import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode="rich", add_completion=False)
        single.command(name=name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Lists the commands from ``COMMANDS`` and imports one only when it is run."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if getattr(ctx, "listing_commands", False):
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])
        return load_command(cmd_name)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        # Click's plain help: Typer's rich one costs 0.2 s of imports, and this page
        # needs no markup.
        ctx.listing_commands = True  # type: ignore[attr-defined]
        try:
            super(TyperGroup, self).format_help(ctx, formatter)
        finally:
            ctx.listing_commands = False  # type: ignore[attr-defined]


app = typer.Typer(
    name="provnews",
    cls=LazyGroup,
    help="Collect, clean and search Vietnamese provincial news.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"provnews {__version__}\n")
        raise typer.Exit()


@app.callback()
def _global(version: Annotated[bool | None, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print provnews' version and exit.")] = None,
) -> None:
    """Collect, clean and search Vietnamese provincial news."""
