"""Options shared by several commands, declared once."""

from __future__ import annotations

import errno
import socket
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
    "--mirror", help="Fetch from a local mirror at this origin (e.g. http://127.0.0.1:8001, `provnews mirror serve`).")]

BrokerOption = Annotated[str | None, typer.Option(
    "--broker", envvar="PROVNEWS_BROKER_URL", show_envvar=True,
    help="Celery broker URL, redis://host:6379/0 or amqp://user:password@host:5672// (none: one machine).")]


def port_free_or_exit(host: str, port: int) -> None:
    """Exit with one line (code 10) when another process holds the port, before a
    server starts and dies on it with a traceback."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((host, port))
        except OSError as exc:
            taken = exc.errno == errno.EADDRINUSE
            fail(f"cannot listen on {host}:{port}: " + ("the port is taken by another process; choose another "
                 "with --port" if taken else exc.strerror or str(exc)), ExitCode.PORT_IN_USE)

ArchiveOption = Annotated[bool, typer.Option(
    "--archive/--no-archive",
    help="Keep every article page as fetched in the WARC archive (PROVNEWS_ARCHIVE_DIR).")]


def registry_or_exit(sources: Path | None) -> dict[str, Outlet]:
    try:
        return load_registry(sources)
    except RegistryError as exc:
        fail(str(exc), ExitCode.SOURCES)

