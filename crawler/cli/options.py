"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.output import ExitCode, fail
from crawler.core.registry import Outlet, RegistryError, load_registry

DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="PROVNEWS_DATABASE_URL", show_envvar=True,
    help="SQLAlchemy database URL (default: sqlite:///provnews.db).")]
SourcesOption = Annotated[Path | None, typer.Option(
    "--sources", envvar="PROVNEWS_SOURCES", show_envvar=True,
    help="A registry file whose outlets add to or override the built-in ones.")]
MirrorOption = Annotated[str | None, typer.Option(
    "--mirror", help="Fetch from a local mirror at this origin (e.g. http://127.0.0.1:8000).")]

ArchiveOption = Annotated[bool, typer.Option(
    "--archive/--no-archive",
    help="Keep every article page as fetched in the WARC archive (PROVNEWS_ARCHIVE_DIR).")]


def registry_or_exit(sources: Path | None) -> dict[str, Outlet]:
    try:
        return load_registry(sources)
    except RegistryError as exc:
        fail(str(exc), ExitCode.SOURCES)

