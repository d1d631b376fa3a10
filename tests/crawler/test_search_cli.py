"""``provnews search``, ``show`` and ``export`` over a small store: pages and totals, one
record shape (story_id, story_size, snippet) in every format, lookups by URL variants,
and bad filters as errors (exit 2)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from crawler.cli.main import app
from crawler.core.record import ArticleRecord, content_hash
from crawler.core.urls import url_key
from storage import ArticleWrite, open_database, upsert_articles
from storage.models import Signature

VN = timezone(timedelta(hours=7))
URL = "https://baolangson.vn/cua-khau-{n}.html"


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'provnews.db'}"
    database = open_database(url)
    items = []
    for n in range(1, 6):
        body = f"Hàng hóa qua cửa khẩu Tân Thanh, bài {n}."
        record = ArticleRecord(url=URL.format(n=n), outlet="baolangson", title=f"Cửa khẩu tin {n}", text=body,
                               section="Kinh tế", published_at=datetime(2025, 7, n, 8, 0, tzinfo=VN),
                               content_hash=content_hash(body))
        items.append(ArticleWrite(record, url_key(record.url), (), "Lạng Sơn"))
    database.run_in_transaction(lambda s: upsert_articles(s, items))

    def story(session) -> None:  # type: ignore[no-untyped-def]
        # Articles 1 and 2 are copies of one story (founded by 1).
        session.add_all([Signature(article_id=i, story_id=1, shingles=1, minhash=b"") for i in (1, 2)])

    database.run_in_transaction(story)
    database.close()
    return url


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})


def search_json(db_url: str, *args: str) -> list[dict]:
    result = cli("search", "cửa khẩu", "--format", "json", "--db", db_url, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_pages_cover_the_results_once(db_url: str) -> None:
    everything = [r["id"] for r in search_json(db_url, "--limit", "10")]
    assert len(everything) == 5
    pages = [[r["id"] for r in search_json(db_url, "--limit", "2", "--page", str(p))] for p in (1, 2, 3)]
    assert [i for page in pages for i in page] == everything
    assert [r["id"] for r in search_json(db_url, "--limit", "2", "--offset", "2")] == pages[1]


def test_the_total_and_the_paging_id_go_to_stderr(db_url: str) -> None:
    result = cli("search", "cửa khẩu", "--limit", "2", "--page", "2", "--format", "json", "--db", db_url)
    assert "3-4 of 5 result(s); next pages: --as-of 5" in result.stderr


def test_offset_and_page_together_are_refused(db_url: str) -> None:
    result = cli("search", "cửa khẩu", "--offset", "2", "--page", "2", "--db", db_url)
    assert result.exit_code == 2 and "not both" in result.stderr


def test_every_record_has_its_story_and_a_snippet(db_url: str) -> None:
    records = {r["id"]: r for r in search_json(db_url)}
    assert (records[2]["story_id"], records[2]["story_size"]) == (1, 2)
    assert (records[4]["story_id"], records[4]["story_size"]) == (4, 1)  # no copy: a story of its own
    assert all("cửa khẩu" in r["snippet"] for r in records.values())
    listing = json.loads(cli("search", "--format", "json", "--db", db_url).stdout)
    assert all("snippet" not in r and "story_id" in r for r in listing)  # no query, no snippet
    rows = list(csv.DictReader(io.StringIO(cli("search", "cửa khẩu", "--format", "csv", "--db", db_url).stdout)))
    assert {r["story_id"] for r in rows} == {"1", "3", "4", "5"} and rows[0]["story_size"]


def test_the_table_shows_the_url(db_url: str) -> None:
    result = cli("search", "cửa khẩu", "--db", db_url)
    assert URL.format(n=5) in result.stdout
    assert "1-5 of 5" in result.stdout


@pytest.mark.parametrize("variant", [
    "https://baolangson.vn/cua-khau-2.html?utm_source=facebook&utm_medium=social",
    "https://baolangson.vn/cua-khau-2.html#top",
    "http://baolangson.vn/cua-khau-2.html",
    "https://www.baolangson.vn/cua-khau-2.html",
    "https://baolangson.vn/amp/cua-khau-2.html",
    "https://amp.baolangson.vn/cua-khau-2.html",
])
def test_show_finds_an_article_by_any_url_the_crawl_would_take(db_url: str, variant: str) -> None:
    result = cli("show", variant, "--db", db_url)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert (record["id"], record["story_id"], record["story_size"]) == (2, 1, 2)


def test_show_says_when_no_article_has_the_url(db_url: str) -> None:
    assert cli("show", "https://baolangson.vn/khac-9.html", "--db", db_url).exit_code == 5


@pytest.mark.parametrize(("args", "message"), [
    (["--outlet", "baolangsn"], "unknown outlet 'baolangsn': did you mean baolangson?"),
    (["--province", "lang sn"], "unknown province 'lang sn': did you mean Lạng Sơn?"),
    (["--section", "kinh tee"], "unknown section 'kinh tee': did you mean Kinh tế?"),
    (["--since", "2025-07-05", "--until", "2025-07-01"], "--since 2025-07-05 is after --until 2025-07-01"),
])
@pytest.mark.parametrize("command", ["search", "export"])
def test_bad_filters_are_errors(db_url: str, command: str, args: list[str], message: str) -> None:
    result = cli(command, "cửa khẩu", *args, "--db", db_url)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())


def test_known_filters_with_nothing_stored_are_no_error(db_url: str) -> None:
    result = cli("search", "cửa khẩu", "--outlet", "baocaobang", "--province", "Cao Bằng", "--db", db_url)
    assert result.exit_code == 0, result.output


def test_a_query_of_only_exclusions_is_refused(db_url: str) -> None:
    result = cli("search", "--db", db_url, "--", "-khẩu")
    assert result.exit_code == 2 and "only excludes" in result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_exports_carry_the_story(db_url: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    result = cli("export", "--format", fmt, "--out", str(out), "--db", db_url)
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    elif fmt == "csv":
        rows = [{k: int(v) if k in ("id", "story_id", "story_size") else v for k, v in r.items()}
                for r in csv.DictReader(io.StringIO(out.read_text()))]
    else:
        rows = pq.read_table(out).to_pylist()
    assert [(r["id"], r["story_id"], r["story_size"]) for r in rows][:3] == [(1, 1, 2), (2, 1, 2), (3, 3, 1)]
