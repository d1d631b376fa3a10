import json
from pathlib import Path

import pytest

from crawler.core.registry import (
    RegistryError,
    load_file,
    load_registry,
    outlet_for_url,
)
from crawler.settings import from_environment
from tests.conftest import run_cli

GOOD = """
outlets:
  - key: baothu
    name: "Báo Thử"
    province: "Lạng Sơn"
    base_url: "https://baothu.example"
    feeds: ["https://baothu.example/rss.xml"]
    listings:
      - url: "https://baothu.example/tin"
        pagination: "https://baothu.example/tin/trang-{page}.html"
    article_url_pattern: '^https://baothu\\.example/[a-z0-9-]+-\\d+\\.html$'
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_registry_loads_baolangson():
    outlet = load_registry()["baolangson"]
    assert outlet.province == "Lạng Sơn"
    assert outlet.tz.key == "Asia/Ho_Chi_Minh"
    assert outlet.is_article_url("https://baolangson.vn/hanh-trinh-hoi-nhap-bat-dau-tu-ren-luyen-5071654.html")
    assert not outlet.is_article_url("https://baolangson.vn/kinh-te?page=2")


def test_user_sources_add_an_outlet(tmp_path):
    registry = load_registry(write(tmp_path, GOOD))
    assert {"baolangson", "baothu"} <= set(registry)
    assert registry["baothu"].robots == "obey"
    assert outlet_for_url(registry, "https://www.baothu.example/a-1.html").key == "baothu"


def test_sources_from_environment(tmp_path, monkeypatch):
    """The environment is read at the edges (the CLI, a crawl's settings), never by the registry."""
    path = str(write(tmp_path, GOOD))
    listed = run_cli("sources", "list", "--format", "json", env={"PROVNEWS_SOURCES": path})
    assert "baothu" in {row["key"] for row in json.loads(listed.stdout)}
    monkeypatch.setenv("PROVNEWS_SOURCES", path)
    assert from_environment()["PROVNEWS_SOURCES"] == path
    assert "baothu" not in load_registry()


@pytest.mark.parametrize(("broken", "needle"), [
    (GOOD.replace("key: baothu", "key: Báo Thử"), "outlet 'Báo Thử': field 'key'"),
    (GOOD.replace("-\\d+", "-(\\d+"), "field 'article_url_pattern'"),
    (GOOD.replace("trang-{page}", "trang-2"), "field 'listings.0.pagination'"),
    (GOOD.replace('base_url: "https://baothu.example"', 'base_url: "baothu.example"'), "field 'base_url'"),
    (GOOD + "    robots: maybe\n", "field 'robots'"),
    (GOOD + "    colour: blue\n", "field 'colour'"),
    (GOOD.replace('    name: "Báo Thử"\n', ""), "field 'name'"),
    ("outlets: 3", "expected a top-level 'outlets:' list"),
    ("outlets: [", "cannot read registry"),
])
def test_bad_entries_name_outlet_and_field(tmp_path, broken, needle):
    with pytest.raises(RegistryError) as excinfo:
        load_file(write(tmp_path, broken))
    assert needle in str(excinfo.value)


def test_duplicate_keys_are_refused(tmp_path):
    body = GOOD + GOOD.split("outlets:\n", 1)[1]
    with pytest.raises(RegistryError, match="defined twice"):
        load_file(write(tmp_path, body))


@pytest.mark.parametrize(("url", "owned"), [
    ("https://baolangson.vn/tin-1234567.html", True),
    ("http://www.baolangson.vn/tin-1234567.html", True),
    ("https://baolangson.vn:8443/tin-1234567.html", False),     # another port: another service
    ("http://127.0.0.1/tin-1234567.html", False),
    ("https://baolangson.vn.evil.example/tin-1234567.html", False),
])
def test_an_outlet_owns_only_its_own_site(url, owned):
    outlet = load_registry()["baolangson"]
    assert outlet.owns(url) is owned
    assert outlet.is_article_url(url) is (owned and url.startswith("https://baolangson.vn/"))


def test_a_sources_entry_overrides_only_the_fields_it_names(tmp_path):
    builtin = load_registry()["baolangson"]
    path = tmp_path / "mine.yaml"
    path.write_text("outlets:\n  - key: baolangson\n    schedule: {interval_minutes: 15}\n", encoding="utf-8")
    mine = load_registry(path)["baolangson"]
    assert mine.schedule is not None and mine.schedule.interval_minutes == 15
    assert mine.model_dump(exclude={"schedule"}) == builtin.model_dump(exclude={"schedule"})
    path.write_text("outlets:\n  - key: baolangson\n    schedule: {cron: '0 25 * * *'}\n", encoding="utf-8")
    with pytest.raises(RegistryError, match="outlet 'baolangson'"):
        load_registry(path)
