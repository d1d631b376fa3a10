"""The ``provnews`` command: outputs, exit codes and bad input, through a real subprocess."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from crawler.mirror.server import SITES_DIR
from storage.database import open_database
from tests.conftest import run_cli


def _empty_database(tmp_path: Path) -> str:
    """An existing database with nothing in it: read commands refuse a missing file."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    open_database(url).close()
    return url

GOLD = Path(__file__).parents[1] / "extraction" / "gold" / "generic"
SEED_URL = ("https://baolangson.vn/doan-kiem-tra-cua-ban-bi-thu-trung-uong-dang-lam-viec-voi-ban-thuong-vu-"
            "tinh-uy-lang-son-5000001.html")
PAGE = """<html lang="vi"><head>{meta}<title>Lạng Sơn: Đồng Đăng đón khách</title></head><body>
<h1>Lạng Sơn: Đồng Đăng đón khách</h1><div class="date">08:15 | 04/12/2020</div>
<article><p>Thị trấn Đồng Đăng, huyện Cao Lộc, tỉnh Lạng Sơn đón hàng nghìn lượt khách du lịch trong dịp cuối
tuần, các điểm di tích và chợ cửa khẩu đều đông vui, nhộn nhịp hơn những năm trước.</p>
<p>Người dân và chính quyền địa phương đã chuẩn bị chu đáo về an ninh, vệ sinh môi trường và dịch vụ để
phục vụ du khách, góp phần quảng bá hình ảnh quê hương xứ Lạng.</p></article></body></html>"""


@pytest.mark.parametrize("name", ["cp1258-declared", "cp1258-undeclared"])
def test_extract_windows_1258_page_gives_nfc(name: str):
    page = GOLD / f"{name}.html"
    assert b"\xcc" in page.read_bytes()  # a windows-1258 combining tone mark, not UTF-8
    result = run_cli("extract", str(page), "--format", "json")
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)  # a list, whatever the number of files
    assert record["title"] == "Trang mã hóa windows-1258 của người dân"
    assert unicodedata.is_normalized("NFC", record["text"])
    assert "Đoàn kiểm tra đã thông qua dự thảo kết luận" in record["text"]
    assert record["published_at"] == "2018-09-11T17:30:00+07:00"


def test_extract_nfd_page_gives_nfc(tmp_path: Path):
    page = tmp_path / "nfd.html"
    page.write_bytes(unicodedata.normalize("NFD", PAGE.format(meta='<meta charset="utf-8">')).encode("utf-8"))
    first = tmp_path / "nfc.html"
    first.write_bytes(PAGE.format(meta='<meta charset="utf-8">').encode("utf-8"))
    result = run_cli("extract", str(page), str(first), "--format", "json")
    assert result.returncode == 0, result.stderr
    nfd_record, nfc_record = json.loads(result.stdout)
    assert unicodedata.is_normalized("NFC", nfd_record["text"])
    assert nfd_record["title"] == nfc_record["title"] == "Lạng Sơn: Đồng Đăng đón khách"
    assert nfd_record["content_hash"] == nfc_record["content_hash"]


def test_extract_reports_a_page_without_article(tmp_path: Path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = run_cli("extract", str(empty))
    assert result.returncode == 1
    assert "empty.html: no article (empty" in result.stderr


def test_sources_list_and_show():
    listed = json.loads(run_cli("sources", "list", "--format", "json").stdout)
    assert {"key": "baolangson", "province": "Lạng Sơn"}.items() <= listed[0].items()
    shown = json.loads(run_cli("sources", "show", "baolangson").stdout)
    assert shown["feeds"] == ["https://baolangson.vn/rss/home.rss"]
    assert run_cli("sources", "show", "nowhere").returncode == 5


def test_bad_sources_file_names_outlet_and_field(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("outlets:\n  - key: baothu\n    name: x\n    province: y\n    base_url: nope\n"
                   "    article_url_pattern: 'x'\n", encoding="utf-8")
    result = run_cli("sources", "list", "--sources", str(bad))
    assert result.returncode == 3
    assert "outlet 'baothu': field 'base_url'" in result.stderr


@pytest.mark.parametrize("query", ['"', "***", "NEAR(", "- -", "!!!???", "x" * 10_000, 'lang "son'])
def test_hostile_queries_never_crash(tmp_path: Path, query: str):
    # "--" ends the options, as for any command whose argument may start with "-".
    result = run_cli("search", "--format", "json", "--db", _empty_database(tmp_path), "--", query)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_invalid_date_filter_is_a_usage_error(tmp_path: Path):
    result = run_cli("search", "lang son", "--since", "31/12/2025", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.returncode == 2
    assert "is not a date of the form YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr


def test_a_file_that_is_not_sqlite_is_a_database_error(tmp_path: Path):
    not_db = tmp_path / "notes.db"
    not_db.write_text("just some notes, not a database\n" * 100)
    result = run_cli("search", "lang son", "--db", f"sqlite:///{not_db}")
    assert result.returncode == 4
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not_db.read_text().startswith("just some notes")


def test_show_unknown_article(tmp_path: Path):
    result = run_cli("show", "999", "--db", _empty_database(tmp_path))
    assert result.returncode == 5 and "no article '999'" in result.stderr


def test_crawl_unknown_outlet(tmp_path: Path):
    result = run_cli("crawl", "nowhere", "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.returncode == 5 and "unknown outlet(s): nowhere" in result.stderr


def test_scrape_one_url_from_the_mirror(mirror, tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = run_cli("scrape", SEED_URL, "--mirror", mirror.url, "--format", "json", "--db", db)
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)  # a list, whatever the number of URLs
    assert record["id"] == 1 and record["outlet"] == "baolangson"
    assert record["published_at"] == "2018-09-11T17:30:00+07:00"
    shown = json.loads(run_cli("show", SEED_URL, "--db", db).stdout)
    assert shown["id"] == 1
    # The saved page gives the very text and hash that the crawl stored: one text rule.
    page = SITES_DIR / "baolangson.vn" / SEED_URL.rsplit("/", 1)[1]
    (extracted,) = json.loads(run_cli("extract", str(page), "--url", SEED_URL).stdout)
    assert "\n\n" in extracted["text"]
    assert (extracted["text"], extracted["content_hash"]) == (shown["text"], shown["content_hash"])
    exported = json.loads(run_cli("export", "--format", "jsonl", "--db", db).stdout.splitlines()[0])
    assert (exported["text"], exported["content_hash"]) == (shown["text"], shown["content_hash"])


def test_scrape_dead_url_fails_with_reason(mirror, tmp_path: Path):
    result = run_cli("scrape", "https://baolangson.vn/khong-ton-tai-1234567.html", "--mirror", mirror.url,
                     "--db", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert result.returncode == 1
    assert "http_404" in result.stderr
