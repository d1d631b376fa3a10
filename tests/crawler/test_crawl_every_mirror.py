"""Every mirrored outlet, by each discovery route alone and by all together.

The expected article sets come from each mirror's ``expected.json``, which its
generator derives from its own data, never from a crawl.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.core.registry import load_registry
from crawler.mirror.server import SITES_DIR, MirrorServer
from tests.conftest import run_cli, stored_urls

REGISTRY = load_registry()
CASES = []
for site in sorted(p for p in SITES_DIR.iterdir() if (p / "expected.json").exists()):
    outlet = next(key for key, o in REGISTRY.items() if o.host == site.name)
    for route, urls in json.loads((site / "expected.json").read_text(encoding="utf-8")).items():
        if urls:
            CASES.append(pytest.param(outlet, route, set(urls), id=f"{outlet}-{route}"))


@pytest.fixture(scope="module")
def shared_mirror():
    server = MirrorServer(SITES_DIR)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


def test_every_mirror_has_expectations():
    mirrored = {p.name for p in SITES_DIR.iterdir() if p.is_dir()}
    assert len(mirrored) >= 5
    assert {case.values[0] for case in CASES} == {k for k, o in REGISTRY.items() if o.host in mirrored}


@pytest.mark.parametrize(("outlet", "route", "expected"), CASES)
def test_route_finds_exactly_the_mirrors_articles(shared_mirror, tmp_path: Path, outlet, route, expected):
    args = [] if route == "all" else ["--route", route]
    db = tmp_path / "db.sqlite"
    result = run_cli("crawl", outlet, *args, "--mirror", shared_mirror.url, "--db", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    assert stored_urls(db) == expected, result.stderr[-2000:]
