"""Run the packaged Alembic migrations from code: no alembic.ini needed at run time."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine

from storage.engine import read_only
from storage.errors import StorageError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py reads the engine from here instead of a URL in an ini file.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(command.upgrade, engine, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    _run(command.downgrade, engine, revision)


def current_revision(engine: Engine) -> str | None:
    """The database's revision (None when empty); reads without taking SQLite's write lock."""
    with read_only(engine).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _run(action, engine: Engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    try:
        action(alembic_config(engine), revision)
    except CommandError as exc:
        # Typically a database migrated by a newer provnews: its revision is unknown here.
        raise StorageError(f"database schema cannot be migrated to {revision}: {exc}") from exc
