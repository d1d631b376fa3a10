"""``provnews db``, ``stats`` and ``export`` through a real subprocess: outputs, bad input, storage faults.

Every fault must end in exit code 4 with one line on stderr and no traceback,
and leave nothing half-written (no partial export, no half-migrated schema).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage import (
    ArticleWrite,
    make_engine,
    make_url_key,
    open_database,
    upgrade,
    upsert_articles,
)
from storage.engine import BUSY_TIMEOUT_ENV, MAX_PAGES_ENV
from tests.conftest import run_cli
from tests.storage.test_storage_faults import corrupt_copy
from tests.storage.test_storage_migration_0002 import _fill_at_0001
from tests.storage.test_storage_queries import record

VN = timezone(timedelta(hours=7))
UNREACHABLE = "postgresql+psycopg://provnews:secret@127.0.0.1:1/provnews"


def one_line_error(result) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 4, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "filled.db"
    db = open_database(f"sqlite:///{path}")
    today = datetime.now(VN).replace(hour=9, minute=0, second=0, microsecond=0)
    items = []
    for i in range(6):
        rec = record(f"https://baolangson.vn/tin-{i}.html", text=f"Chợ biên giới Đồng Đăng, bài {i}.",
                     title=f"Tin [{i}] Lạng Sơn", published_at=today - timedelta(days=i),
                     section="Kinh tế" if i % 2 else "Thời sự", authors=["Minh Anh"] if i < 3 else ["Trần Đức"])
        items.append(ArticleWrite(rec, make_url_key(rec.url), (), "Lạng Sơn"))
    db.run_in_transaction(lambda s: upsert_articles(s, items))
    db.close()
    return path


def at_0001_with_rows(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0001")
    _fill_at_0001(engine, 20)
    engine.dispose()
    return path


def revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def test_db_current_and_upgrade(tmp_path: Path) -> None:
    path = at_0001_with_rows(tmp_path)
    url = f"sqlite:///{path}"
    current = run_cli("db", "current", "--db", url)
    assert current.returncode == 0 and json.loads(current.stdout)["current"] == "0001"
    assert json.loads(current.stdout)["up_to_date"] is False
    upgraded = run_cli("db", "upgrade", "--db", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["from"] == "0001" and revision(path) == json.loads(upgraded.stdout)["to"]
    assert rows(path) == 20
    missing = run_cli("db", "current", "--db", f"sqlite:///{tmp_path / 'nope.db'}")
    one_line_error(missing)
    assert not (tmp_path / "nope.db").exists()  # looking does not create


def test_stats_table_and_json(filled: Path) -> None:
    table = run_cli("stats", "--db", f"sqlite:///{filled}", "--days", "7")
    assert table.returncode == 0 and "baolangson" in table.stdout and "last 7 days" in table.stdout
    data = json.loads(run_cli("stats", "--format", "json", "--db", f"sqlite:///{filled}", "--days", "7").stdout)
    assert data[0]["outlet"] == "baolangson" and data[0]["articles"] == 6
    assert data[0]["daily"] == [0, 1, 1, 1, 1, 1, 1] and data[0]["last_crawl"]


def test_export_formats_and_filters(filled: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{filled}"
    out = tmp_path / "all.jsonl"
    result = run_cli("export", "--out", str(out), "--db", url)
    assert result.returncode == 0 and "exported 6 article(s)" in result.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["url"][-10:] for r in lines] == [f"tin-{i}.html" for i in range(6)]
    assert lines[0]["published_at"].endswith("+07:00")
    result = run_cli("export", "dong dang", "--format", "csv", "--section", "kinh te", "--author", "minh",
                     "--province", "lang son", "--db", url)
    assert result.returncode == 0
    assert [r["url"][-10:] for r in csv.DictReader(io.StringIO(result.stdout))] == ["tin-1.html"]


def test_export_parquet(filled: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "a.parquet"
    result = run_cli("export", "--format", "parquet", "--out", str(out), "--since", "2000-01-01",
                     "--db", f"sqlite:///{filled}")
    assert result.returncode == 0, result.stderr
    table = pq.read_table(out)
    assert table.num_rows == 6 and table.column("authors").to_pylist()[0] == ["Minh Anh"]
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=+07:00]"


@pytest.mark.parametrize("query", ["!!! ??? ...", '"" * NEAR( ) -:', "x" * 10_000, "lạng " * 3000])
def test_export_hostile_queries(filled: Path, tmp_path: Path, query: str) -> None:
    out = tmp_path / "q.jsonl"
    result = run_cli("export", query, "--out", str(out), "--db", f"sqlite:///{filled}")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert out.exists()


def test_export_bad_arguments(filled: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{filled}"
    bad_date = run_cli("export", "--since", "31/12/2025", "--db", url)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr and "Traceback" not in bad_date.stderr
    no_dir = run_cli("export", "--out", str(tmp_path / "no" / "x.jsonl"), "--db", url)
    assert no_dir.returncode == 1 and "does not exist" in no_dir.stderr and "Traceback" not in no_dir.stderr
    to_stdout = run_cli("export", "--format", "parquet", "--db", url)
    assert to_stdout.returncode == 2 and "--out" in to_stdout.stderr


@pytest.mark.parametrize("command", [["stats"], ["export", "--out", "OUT"], ["db", "current"], ["db", "upgrade"]])
def test_not_sqlite_and_unreachable_server(tmp_path: Path, command: list[str]) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("my notes, not a database\n" * 100)
    args = [str(tmp_path / "out.jsonl") if a == "OUT" else a for a in command]
    result = run_cli(*args, "--db", f"sqlite:///{notes}")
    one_line_error(result)
    assert "not a database" in result.stderr and notes.read_text().startswith("my notes")
    result = run_cli(*args, "--db", UNREACHABLE)
    one_line_error(result)
    assert "secret" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_disk_full_during_upgrade_leaves_the_old_schema(tmp_path: Path) -> None:
    path = at_0001_with_rows(tmp_path)
    with sqlite3.connect(path) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    result = run_cli("db", "upgrade", "--db", f"sqlite:///{path}", env={MAX_PAGES_ENV: str(pages)})
    one_line_error(result)
    assert "full" in result.stderr
    assert revision(path) == "0001" and rows(path) == 20


def test_locked_database_waits_then_fails_but_readers_go_on(tmp_path: Path, filled: Path) -> None:
    path = at_0001_with_rows(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_cli("db", "upgrade", "--db", f"sqlite:///{path}", env={BUSY_TIMEOUT_ENV: "100"})
        one_line_error(result)
        assert "database is locked" in result.stderr and "gave up after 4 attempts" in result.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert revision(path) == "0001" and rows(path) == 20
    copy = tmp_path / "filled.db"
    shutil.copy(filled, copy)
    holder = sqlite3.connect(copy, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:  # WAL: a writer holding the lock does not stop readers (the schema is already at head)
        assert run_cli("stats", "--db", f"sqlite:///{copy}", env={BUSY_TIMEOUT_ENV: "100"}).returncode == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_read_only_file(tmp_path: Path) -> None:
    path = at_0001_with_rows(tmp_path)
    ro_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = run_cli("db", "upgrade", "--db", ro_url)
    one_line_error(result)
    assert "readonly" in result.stderr and revision(path) == "0001"
    immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if immutable.returncode != 0:
        pytest.skip("chattr +i is not available here (a root user ignores chmod)")
    try:
        result = run_cli("db", "upgrade", "--db", f"sqlite:///{path}")
        one_line_error(result)
        assert revision(path) == "0001"
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_corrupt_file(tmp_path: Path) -> None:
    path = corrupt_copy(tmp_path)
    for command in (["stats"], ["export", "--out", str(tmp_path / "c.jsonl")], ["export", "lạng sơn"]):
        result = run_cli(*command, "--db", f"sqlite:///{path}")
        one_line_error(result)
        assert "malformed" in result.stderr or "not a database" in result.stderr
    assert not (tmp_path / "c.jsonl").exists()
    assert not list(tmp_path.glob(".c.jsonl.*"))
