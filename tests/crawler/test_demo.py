"""``provnews demo`` keeps to its own database: never ./provnews.db, never PROVNEWS_DATABASE_URL's."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def test_demo_writes_only_its_own_database(tmp_path: Path):
    users_db = tmp_path / "mine.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")},
           "PROVNEWS_DATABASE_URL": f"sqlite:///{users_db}", "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "crawler", "demo"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "demo database: sqlite:///provnews-demo.db" in result.stderr
    assert not (tmp_path / "provnews.db").exists()
    assert not users_db.exists()
    with sqlite3.connect(tmp_path / "provnews-demo.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] > 0
