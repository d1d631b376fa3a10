"""decode_html: BOM → header → meta → UTF-8 → Vietnamese-aware guess → NFC."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest

from crawler.extraction import decode_html

GOLD = Path(__file__).parent / "gold" / "generic"
VI = "Đoàn Kiểm tra của Ban Bí thư làm việc với người dân tỉnh Lạng Sơn"


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>"


def test_bom_wins_over_header_and_meta() -> None:
    raw = codecs.BOM_UTF8 + _page(VI, '<meta charset="windows-1258">').encode("utf-8")
    page = decode_html(raw, "text/html; charset=iso-8859-1")
    assert (page.encoding, page.source) == ("utf-8", "bom")
    assert VI in page.text


def test_utf16_bom() -> None:
    page = decode_html(codecs.BOM_UTF16_LE + _page(VI).encode("utf-16-le"))
    assert page.source == "bom" and VI in page.text


def test_header_wins_over_meta() -> None:
    raw = (GOLD / "cp1258-undeclared.html").read_bytes()
    page = decode_html(raw.replace(b"<title>", b'<meta charset="utf-8"><title>', 1),
                       "text/html; charset=windows-1258")
    assert (page.encoding, page.source) == ("windows-1258", "http")
    assert "người dân" in page.text


def test_meta_used_without_header() -> None:
    page = decode_html((GOLD / "cp1258-declared.html").read_bytes())
    assert (page.encoding, page.source) == ("windows-1258", "meta")
    assert "Trang mã hóa windows-1258 của người dân" in page.text


def test_header_lying_latin1_on_utf8_body() -> None:
    page = decode_html(_page(VI).encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert (page.encoding, page.source) == ("utf-8", "utf-8")
    assert VI in page.text and not page.mojibake


def test_header_respected_for_ascii_body() -> None:
    page = decode_html(b"<p>hello</p>", "text/html; charset=windows-1258")
    assert (page.encoding, page.source) == ("windows-1258", "http")


def test_undeclared_windows_1258_is_detected_and_composed() -> None:
    page = decode_html((GOLD / "cp1258-undeclared.html").read_bytes())
    assert (page.encoding, page.source) == ("windows-1258", "detected")
    assert "Trang mã hóa windows-1258 của người dân" in page.text
    assert page.text == unicodedata.normalize("NFC", page.text)
    assert not any(unicodedata.combining(ch) for ch in page.text)


def test_undeclared_cp1252_western_text() -> None:
    page = decode_html(_page("Café crème brûlée — “quoted” €5").encode("cp1252"))
    assert page.source == "detected"
    assert "Café crème brûlée — “quoted” €5" in page.text


def test_plain_utf8() -> None:
    page = decode_html(_page(VI).encode("utf-8"))
    assert (page.encoding, page.source) == ("utf-8", "utf-8")


def test_nfd_input_comes_out_nfc() -> None:
    page = decode_html(unicodedata.normalize("NFD", _page(VI)).encode("utf-8"))
    assert VI in page.text


def test_mojibake_flagged() -> None:
    garbled = VI.encode("utf-8").decode("cp1252", errors="replace")  # "Ä\x90oÃ\xa0n Kiá»\x83m"
    page = decode_html(_page(garbled).encode("utf-8"))
    assert page.mojibake
    assert not decode_html(_page(VI).encode("utf-8")).mojibake


@pytest.mark.timeout(10)
@pytest.mark.parametrize("raw", [
    b"", b"\xff\xfe\x00", b"\x80\x81\xfe\xff" * 100, b"<p>\xc3\x28 \xa0\xa1 \xed\xa0\x80</p>",
    bytes(range(256)) * 10, b"\x00" * 1000,
])
@pytest.mark.parametrize("ctype", [None, "text/html; charset=utf-8", "text/html; charset=no-such-codec",
                                   "charset=", "text/html; charset=utf-16"])
def test_never_raises(raw: bytes, ctype: str | None) -> None:
    page = decode_html(raw, ctype)
    assert isinstance(page.text, str)
    assert page.source in {"bom", "http", "meta", "utf-8", "detected"}


@pytest.mark.parametrize(("raw", "ctype", "conflict"), [
    ("Việt Nam".encode(), "text/html; charset=ISO-8859-1", "http=cp1252,body=utf-8"),
    ('<meta charset="windows-1258">Việt Nam'.encode(), "text/html; charset=utf-8",
     "http=utf-8,meta=windows-1258,body=utf-8"),
    ('<meta charset="utf-8">Việt Nam'.encode(), "text/html; charset=UTF-8", None),
    ("Việt Nam".encode(), None, None),
])
def test_disagreeing_labels_are_reported(raw: bytes, ctype: str | None, conflict: str | None) -> None:
    assert decode_html(raw, ctype).conflict == conflict
