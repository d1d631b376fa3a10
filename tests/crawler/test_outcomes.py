"""Run outcomes (crawler.core.outcome): one word in the crawl's exit code, its summary,
the ledger (`runs`), `schedule trigger` and `sources health`."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.core.outcome import EXIT_CODES
from crawler.mirror.server import MirrorServer
from tests.conftest import run_cli, stored_urls

SEED = Path(__file__).parent / "fixtures" / "seed-paragraphs.txt"
HOST = "baothu.example"
SOURCES = f"""
outlets:
  - key: baothu
    name: "Báo Thử"
    province: "Lạng Sơn"
    base_url: "https://{HOST}"
    listings:
      - url: "https://{HOST}/tin"
    article_url_pattern: '^https://baothu\\.example/[a-z0-9-]+-\\d+\\.html$'
"""
ARTICLES = 4


def _article(i: int, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{paragraphs[(i + k) % len(paragraphs)]}</p>" for k in range(3))
    return (f'<html lang="vi"><head><meta charset="utf-8"><title>Bài thử số {i}</title></head><body>'
            f'<h1>Bài thử số {i}</h1><div class="date">08:00 | 0{i}/07/2025</div>'
            f'<article>{body}</article></body></html>')


def lay_out(sites: Path, failing: set[int]) -> None:
    """A listing of ARTICLES articles; those in ``failing`` answer 500."""
    paragraphs = [p for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    site = sites / HOST
    (site / "tin").mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "tin" / "index.html").write_text("<html><body>" + "".join(
        f'<a href="https://{HOST}/bai-{i}.html">{i}</a>' for i in range(1, ARTICLES + 1)) + "</body></html>")
    for i in range(1, ARTICLES + 1):
        (site / f"bai-{i}.html").write_text(_article(i, paragraphs), encoding="utf-8")
    (site / "routes.tsv").write_text("".join(f"/bai-{i}.html\tmissing.html\t500\t\n" for i in sorted(failing)))


def closed_port_origin() -> str:
    """An origin where nothing listens: every connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def outlet_file(tmp_path: Path) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    return path


def summary_row(stdout: str, outlet: str) -> list[str]:
    """The cells of the crawl summary's row for ``outlet``."""
    for line in stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells[0] == outlet:
            return cells
    raise AssertionError(f"no row for {outlet} in:\n{stdout}")


def _ledger(db: str) -> list[dict]:
    result = run_cli("runs", "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _health(db: str, sources: Path) -> dict:
    result = run_cli("sources", "health", "--format", "json", "--sources", str(sources), "--db", db)
    assert result.returncode == 0, result.stderr
    return next(row for row in json.loads(result.stdout) if row["outlet"] == "baothu")


@pytest.mark.parametrize(("failing", "expected"), [(set(), "ok"), ({1, 3}, "partial")])
def test_crawl_outcome_everywhere(sites: Path, serve: Callable[[], MirrorServer], outlet_file: Path,
                                  db_path: Path, failing: set[int], expected: str):
    lay_out(sites, failing)
    mirror = serve()
    db = f"sqlite:///{db_path}"
    result = run_cli("crawl", "baothu", "--mirror", mirror.url, "--sources", str(outlet_file), "--db", db)
    assert result.returncode == EXIT_CODES[expected], result.stderr
    row = summary_row(result.stdout, "baothu")
    assert row[1] == expected
    assert len(stored_urls(db_path)) == ARTICLES - len(failing)
    (run,) = _ledger(db)
    assert run["status"] == expected
    # One count of requests: the summary's is the ledger's.
    assert row[2] == str(run["requests"])
    assert _health(db, outlet_file)["status"] == expected


def test_refused_connections_fail_everywhere(outlet_file: Path, db_path: Path):
    db = f"sqlite:///{db_path}"
    origin = closed_port_origin()
    result = run_cli("crawl", "baothu", "--mirror", origin, "--sources", str(outlet_file), "--db", db)
    assert result.returncode == EXIT_CODES["failed"], result.stderr
    assert summary_row(result.stdout, "baothu")[1] == "failed"
    assert _ledger(db)[0]["status"] == "failed"
    trigger = run_cli("schedule", "trigger", "baothu", "--mirror", origin, "--sources", str(outlet_file),
                      "--db", db, "--format", "json")
    assert trigger.returncode == EXIT_CODES["failed"], trigger.stderr
    assert json.loads(trigger.stdout)["outcome"] == "failed"
    assert [run["status"] for run in _ledger(db)] == ["failed", "failed"]
    assert _health(db, outlet_file)["status"] == "failed"


def test_schedule_trigger_reports_partial(sites: Path, serve: Callable[[], MirrorServer], outlet_file: Path,
                                          db_path: Path):
    lay_out(sites, {2})
    mirror = serve()
    db = f"sqlite:///{db_path}"
    result = run_cli("schedule", "trigger", "baothu", "--mirror", mirror.url, "--sources", str(outlet_file),
                     "--db", db, "--format", "json")
    assert result.returncode == EXIT_CODES["partial"], result.stderr
    assert json.loads(result.stdout)["outcome"] == "partial"
    assert _ledger(db)[0]["status"] == "partial"
