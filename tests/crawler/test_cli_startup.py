"""`provnews --help` and `--version` load no command: no Scrapy, Twisted, SQLAlchemy or
trafilatura (they made every --help take about a second). The time itself is
bench/cli.py's: a wall-clock bound would fail on a loaded machine, an import cannot."""

from __future__ import annotations

import pytest

from bench.cli import heavy_imports
from crawler import __version__
from tests.conftest import run_cli


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_the_top_level_loads_no_heavy_package(args: list[str]):
    assert heavy_imports(["-m", "crawler", *args]) == []


def test_a_command_still_loads_what_it_needs():
    # The check above sees heavy imports when there are some.
    assert "sqlalchemy" in heavy_imports(["-m", "crawler", "db", "current", "--help"])


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout == f"provnews {__version__}\n"
