"""Rows a mirror crawl writes are marked, and a live crawl takes none of them for fetched:
the mirror's pages are recordings (some reconstructed) under the real outlets' URLs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.core.record import ArticleRecord
from crawler.core.urls import make_url_key
from crawler.frontier import Frontier
from crawler.mirror.server import MirrorServer
from pipelines.store import StorePipeline
from storage import crawlstate
from storage.database import open_database
from storage.engine import Database
from tests.conftest import run_cli

OUTLET = "baolangson"
STORED = "https://baolangson.vn/tin-mot-1234567.html"
GONE = "https://baolangson.vn/tin-hai-7654321.html"
WALK = "https://baolangson.vn/thoi-su"
TEXT = "Lạng Sơn đẩy mạnh xuất khẩu nông sản qua cửa khẩu Hữu Nghị. " * 8


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'provnews.db'}")
    yield database
    database.close()


def _crawl(database: Database, mirror: bool) -> tuple[Frontier, int]:
    frontier = Frontier(database, lease_seconds=600, mirror=mirror)
    with database.session() as session, session.begin():
        run_id = crawlstate.start_run(session, OUTLET, "manual")
    return frontier, run_id


def _store(frontier: Frontier) -> None:
    pipeline = StorePipeline(frontier, batch_size=5, provinces={}, story_threshold=0.5)
    pipeline.process_item(ArticleRecord(url=STORED, outlet=OUTLET, title="Tin một", text=TEXT,
                                        word_count=len(TEXT.split()), request_url=STORED))
    pipeline.flush()


def _mirror_column(database: Database, table: str) -> list[int]:
    with sqlite3.connect(database.engine.url.database) as conn:
        return [m for (m,) in conn.execute(f"SELECT mirror FROM {table}")]  # noqa: S608 - a fixed name


def test_a_live_crawl_fetches_what_a_mirror_crawl_settled(database: Database):
    mirrored, run_id = _crawl(database, mirror=True)
    assert mirrored.enrol(OUTLET, run_id, {make_url_key(STORED): STORED, make_url_key(GONE): GONE})
    _store(mirrored)
    mirrored.settle(GONE, "gone", "http_404")
    mirrored.walk_started(make_url_key(WALK), WALK, OUTLET)
    mirrored.walk_completed(make_url_key(WALK))
    assert mirrored.snapshot(OUTLET, None, timedelta(hours=12)).settled == {make_url_key(STORED),
                                                                            make_url_key(GONE)}
    assert _mirror_column(database, "articles") == [1]
    assert set(_mirror_column(database, "frontier")) == {1}

    live, run_id = _crawl(database, mirror=False)
    snapshot = live.snapshot(OUTLET, None, timedelta(hours=12))
    assert snapshot.settled == set() and snapshot.completed_walks == set()
    assert snapshot.due == {make_url_key(STORED): STORED, make_url_key(GONE): GONE}
    assert live.enrol(OUTLET, run_id, snapshot.due) == set(snapshot.due)
    _store(live)  # the same text, fetched live: no longer the mirror's
    assert _mirror_column(database, "articles") == [0]


def test_a_mirror_crawl_marks_what_it_stores(mirror: MirrorServer, tmp_path: Path):
    db = tmp_path / "provnews.db"
    result = run_cli("crawl", "baocaobang", "--mirror", mirror.url, "--db", f"sqlite:///{db}")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        marks = dict(conn.execute("SELECT mirror, count(*) FROM articles GROUP BY mirror").fetchall())
        frontier = dict(conn.execute("SELECT mirror, count(*) FROM frontier GROUP BY mirror").fetchall())
        runs = conn.execute("SELECT mirror FROM crawl_runs").fetchall()
        entry_points = dict(conn.execute("SELECT mirror, count(*) FROM entry_points GROUP BY mirror").fetchall())
    assert set(marks) == {1} and marks[1] > 0
    assert set(frontier) == {1}
    assert runs == [(1,)]  # route choice and cadence of a live crawl will not learn from it
    assert set(entry_points) == {1} and entry_points[1] > 0  # nor send its validators
    listing = run_cli("runs", "--db", f"sqlite:///{db}", "--format", "json")
    assert [run["mirror"] for run in json.loads(listing.stdout)] == [True]
