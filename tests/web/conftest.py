"""One database for the web tests, built once per session (see seed.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.seed import Seeded, seed


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    path = tmp_path_factory.mktemp("web") / "web.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}, "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "crawler", "demo", "--db", f"sqlite:///{path}"], env=env,
                            cwd=path.parent, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return path, seed(path)
