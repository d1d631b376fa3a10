"""``provnews eval``: exit codes and output of both formats (CliRunner, no network)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from crawler.cli.main import app

GOLD = Path(__file__).parent / "gold"
runner = CliRunner()


def _small_gold(tmp_path: Path) -> Path:
    folder = tmp_path / "gold" / "baolaocai"
    folder.mkdir(parents=True)
    for suffix in (".html", ".json"):
        shutil.copy(GOLD / "baolaocai" / f"song-dep-tu-nhung-dieu-gian-di{suffix}", folder)
    return tmp_path / "gold"


def test_json_reports_both_extractors_side_by_side(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--gold", str(_small_gold(tmp_path)), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (report,) = data["sets"]
    assert report["pages"] == 1
    assert report["ours"]["fields"]["published_at"]["accuracy"] == 1.0
    assert report["trafilatura"]["fields"]["published_at"]["scored"] == 1


def test_table_and_a_missing_aeb_folder_is_skipped_with_a_reason(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--gold", str(_small_gold(tmp_path)),
                                 "--aeb", str(tmp_path / "no-aeb")])
    assert result.exit_code == 0
    assert "published_at" in result.stdout and "trafilatura" in result.stdout
    assert "skipped aeb" in result.stderr


def test_missing_gold_folder_fails(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "--gold", str(tmp_path / "nothing")])
    assert result.exit_code != 0
