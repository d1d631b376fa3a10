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


def _tiny_trafilatura_corpus(tmp_path: Path) -> Path:
    """Two pages in the layout of trafilatura's corpus (evaldata.json, eval/, cache/)."""
    folder = tmp_path / "trafilatura-eval"
    (folder / "eval").mkdir(parents=True)
    (folder / "cache").mkdir()
    prose = " ".join(f"Sentence number {i} of the article tells the reader something new." for i in range(12))
    page = (f"<html><body><nav><a href='/'>Home</a> <a href='/x'>Impressum</a></nav><article><h1>Title</h1>"
            f"<p>{prose}</p><p>Closing words of the story.</p></article></body></html>")
    (folder / "eval" / "a.html").write_text(page, encoding="utf-8")
    (folder / "cache" / "b.html").write_text(page.replace("Closing", "Final"), encoding="utf-8")
    evaldata = {"https://a.example/story": {"file": "a.html", "with": ["Sentence number 3 of"],
                                            "without": ["Impressum"]},
                "https://b.example/story": {"file": "b.html", "with": ["Final words"], "without": ["Home"]}}
    (folder / "evaldata.json").write_text(json.dumps(evaldata), encoding="utf-8")
    return folder


def test_trafilatura_corpus_is_scored_with_its_snippets_and_below_plain_pages(tmp_path: Path) -> None:
    corpus = _tiny_trafilatura_corpus(tmp_path)
    result = runner.invoke(app, ["eval", "--gold", str(_small_gold(tmp_path)), "--trafilatura-eval",
                                 str(corpus), "--misses", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["sets"][1]
    assert report["pages"] == 2 and report["set"].startswith("trafilatura-eval")
    for key in ("ours", "trafilatura"):
        snippets = report[key]["snippets"]
        assert snippets["tp"] + snippets["fn"] == 2 and snippets["fp"] + snippets["tn"] == 2
    assert report["ours_below_plain"] == len(report["below_plain"])


def test_a_trafilatura_corpus_with_a_missing_page_fails(tmp_path: Path) -> None:
    corpus = _tiny_trafilatura_corpus(tmp_path)
    (corpus / "cache" / "b.html").unlink()
    result = runner.invoke(app, ["eval", "--gold", str(_small_gold(tmp_path)), "--trafilatura-eval", str(corpus)])
    assert result.exit_code != 0 and "b.html" in result.stderr
