"""``provnews db``: the schema revision of a database, and upgrading it explicitly.

Every other command already upgrades on first use; these are for operators who
want to see or run the migration on its own (e.g. before a deploy, or on a big
PostgreSQL database in a maintenance window).
"""

from __future__ import annotations

from typing import Annotated

import typer

from crawler.cli.options import DbOption
from crawler.cli.output import ExitCode, fail, print_json, stderr
from storage.database import open_database
from storage.engine import StorageError, database_url, safe_url
from storage.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Inspect or upgrade the database schema.", no_args_is_help=True)


@db_app.command()
def current(db: DbOption = None) -> None:
    """Print the database's schema revision and the newest one this provnews knows (JSON).

    Example: [bold]provnews db current --db postgresql+psycopg://user@host/provnews[/]
    """
    url = database_url(db)
    try:
        database = open_database(url, upgrade_schema=False, create=False)
        try:
            revision = current_revision(database.engine)
        finally:
            database.close()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    head = head_revision()
    print_json({"database": safe_url(url), "current": revision, "head": head, "up_to_date": revision == head})


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    db: DbOption = None,
) -> None:
    """Migrate the schema to the newest revision (or --revision); creates the database if needed.

    Example: [bold]provnews db upgrade --db sqlite:///provnews.db[/]
    """
    url = database_url(db)
    try:
        database = open_database(url, upgrade_schema=False)
        try:
            before = current_revision(database.engine)
            database.retry_locked(lambda: upgrade(database.engine, revision))
            after = current_revision(database.engine)
        finally:
            database.close()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    stderr.print(f"schema {before or 'empty'} → {after}" if before != after else f"schema already at {after}",
                 highlight=False)
    print_json({"database": safe_url(url), "from": before, "to": after})
