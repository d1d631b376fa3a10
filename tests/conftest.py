"""Fixtures shared across the suite: a local mirror over real HTTP and a CLI runner."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.mirror.server import SITES_DIR, MirrorServer


@pytest.fixture
def mirror() -> Iterator[MirrorServer]:
    """The bundled mirror, on a free port, with fresh hit counters."""
    server = MirrorServer(SITES_DIR)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def start_mirror() -> Iterator[Callable[[Path], MirrorServer]]:
    """Starts a mirror of a sites folder once the test has laid it out; every mirror
    started is stopped afterwards."""
    servers: list[MirrorServer] = []

    def start(sites: Path) -> MirrorServer:
        server = MirrorServer(sites)
        server.start_background()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> Result:
    """Run ``provnews`` in a subprocess: each crawl needs its own Twisted reactor."""
    # The caller's own PROVNEWS_* settings must not leak into a test.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
    full_env = {**inherited, "COLUMNS": "200", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "provnews.db"


def stored_urls(db_path: Path) -> set[str]:
    with sqlite3.connect(db_path) as conn:
        return {row[0] for row in conn.execute("SELECT url FROM articles")}
