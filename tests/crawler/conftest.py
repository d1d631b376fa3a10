"""Fixtures of the crawl tests: an empty sites folder the test lays out, and its mirror."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.mirror.server import MirrorServer


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    root = tmp_path / "sites"
    root.mkdir()
    return root


@pytest.fixture
def serve(sites: Path, start_mirror: Callable[[Path], MirrorServer]) -> Callable[[], MirrorServer]:
    """Starts the mirror once the test has laid out its sites."""
    return lambda: start_mirror(sites)
