"""``provnews sources``: province filter, validation and the canary check."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_list_by_province_without_diacritics():
    rows = json.loads(run_cli("sources", "list", "--province", "lang son", "--format", "json").stdout)
    assert rows and {r["key"] for r in rows} >= {"baolangson"}
    assert all(r["province"] == "Lạng Sơn" or r["former_province"] == "Lạng Sơn" for r in rows)


def test_validate_accepts_the_builtin_registry_and_rejects_a_bad_entry(tmp_path: Path):
    assert run_cli("sources", "validate").returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("outlets:\n  - key: baothu\n    name: Báo Thử\n    province: Lạng Sơn\n"
                   "    base_url: https://baothu.example\n    article_url_pattern: '^https://(unclosed'\n",
                   encoding="utf-8")
    result = run_cli("sources", "validate", "--sources", str(bad))
    assert result.returncode == 3
    assert "outlet 'baothu': field 'article_url_pattern'" in result.stderr


def test_check_needs_an_explicit_live_flag():
    result = run_cli("sources", "check", "baolangson")
    assert result.returncode == 2 and "--live" in result.stderr


def test_check_against_the_mirror(mirror):
    result = run_cli("sources", "check", "baolangson", "--mirror", mirror.url, "--format", "json")
    assert result.returncode == 0, result.stderr
    probes = {p["kind"]: p for p in json.loads(result.stdout)}
    assert probes["robots"]["status"] == 200
    assert probes["feed"]["articles"] == 20 and probes["feed"]["ok"]
    assert probes["home"]["articles"] >= 10


def test_check_reports_a_dead_feed(mirror, tmp_path: Path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(r"""outlets:
  - key: baolangson
    name: "Báo Lạng Sơn"
    province: "Lạng Sơn"
    base_url: "https://baolangson.vn"
    feeds: ["https://baolangson.vn/rss/khong-co.rss"]
    article_url_pattern: '^https://baolangson\.vn/[a-z0-9-]+-\d{5,}\.html$'
""", encoding="utf-8")
    result = run_cli("sources", "check", "baolangson", "--sources", str(sources), "--mirror", mirror.url,
                     "--format", "json")
    assert result.returncode == 1
    feed = next(p for p in json.loads(result.stdout) if p["kind"] == "feed")
    assert feed["status"] == 404 and not feed["ok"]
