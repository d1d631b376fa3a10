"""Tables for people fit 80 columns and never break a word: a word is whole, or cut
with "…" when wider than any column could be (the table at 250 columns is the reference)."""

from __future__ import annotations

import pytest

from crawler.mirror.server import MirrorServer
from tests.conftest import run_cli

BOX = str.maketrans({c: " " for c in "│┃┏┓┗┛┡┩┠┨┣┫╇╈┳┻╋━─┼┬┴├┤└┘┌┐"})


def _words(text: str) -> list[str]:
    return text.translate(BOX).split()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory, mirror_module: MirrorServer) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('tables') / 'provnews.db'}"
    result = run_cli("crawl", "baocaobang", "--mirror", mirror_module.url, "--db", db)
    assert result.returncode == 0, result.stderr
    return db


@pytest.fixture(scope="module")
def mirror_module() -> MirrorServer:
    from crawler.mirror.server import SITES_DIR

    server = MirrorServer(SITES_DIR)
    server.start_background()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("command", [["runs"], ["stats"], ["sources", "list"]])
def test_80_columns_break_no_word(command: list[str], crawled: str):
    args = [*command, "--db", crawled] if command != ["sources", "list"] else command
    wide = run_cli(*args, env={"COLUMNS": "250"})
    narrow = run_cli(*args, env={"COLUMNS": "80"})
    assert wide.returncode == narrow.returncode == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert len(lines) > 4 and max(len(line) for line in lines) <= 80, narrow.stdout
    whole = set(_words(wide.stdout))
    broken = [w for w in _words(narrow.stdout) if w not in whole and not w.endswith("…")]
    assert not broken, f"words broken at 80 columns: {broken}\n{narrow.stdout}"
