"""Hostile input: every case ends in a record or an ExtractionError with a reason,
within a bounded time (pytest-timeout marks, not timing asserts)."""

from __future__ import annotations

import gzip

import pytest

from crawler.extraction import (
    MAX_INPUT,
    ExtractionError,
    extract_article,
    extract_bytes,
)

URL = "https://baotinh.example.vn/bai-viet-1.html"
PARA = ("Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác năm, đánh giá kết quả thực hiện "
        "các nhiệm vụ phát triển kinh tế - xã hội và triển khai nhiệm vụ trọng tâm của năm tới. ")


@pytest.mark.timeout(5)
@pytest.mark.parametrize("html", ["", "   \n\t", "<html></html>", "<html><body></body></html>"])
def test_empty_document(html: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract_article(html, URL)
    assert info.value.reason in {"empty", "no_text"}


@pytest.mark.timeout(5)
def test_only_scripts() -> None:
    html = "<html><head><script>var a = 1;</script></head><body>" + "<script>alert(1)</script>" * 50 + "</body></html>"
    with pytest.raises(ExtractionError) as info:
        extract_article(html, URL)
    assert info.value.reason == "no_text"


@pytest.mark.timeout(5)
def test_over_10_mib_rejected_at_once() -> None:
    body = b"<html><body><p>" + b"a" * MAX_INPUT + b"</p></body></html>"
    with pytest.raises(ExtractionError) as info:
        extract_bytes(body, URL)
    assert info.value.reason == "too_large"
    with pytest.raises(ExtractionError) as info:
        extract_article(body.decode("ascii"), URL)
    assert info.value.reason == "too_large"


@pytest.mark.timeout(5)
def test_compressed_body_without_content_encoding() -> None:
    with pytest.raises(ExtractionError) as info:
        extract_bytes(gzip.compress(b"<html><body><p>x</p></body></html>"), URL)
    assert info.value.reason == "compressed"


@pytest.mark.timeout(10)
def test_invalid_utf8_still_extracts() -> None:
    body = ("<html lang='vi'><body><h1>Tiêu đề bài viết</h1><article>"
            + f"<p>{PARA}</p>" * 6 + "</article></body></html>").encode("utf-8")
    body = body.replace(b"<article>", b"<article><p>\xc3\x28\xff\xfe r\xe1c</p>", 1)
    record = extract_bytes(body, URL, content_type="text/html; charset=utf-8")
    assert record.title == "Tiêu đề bài viết"
    assert "hội nghị tổng kết công tác năm" in record.text
    assert record.encoding == "utf-8"


@pytest.mark.timeout(10)
def test_five_thousand_nested_divs() -> None:
    html = ("<html><body><h1>Tiêu đề</h1>" + "<div>" * 5000 + f"<p>{PARA}</p>" * 5
            + "</div>" * 5000 + "</body></html>")
    try:
        record = extract_article(html, URL)
    except ExtractionError as exc:
        assert exc.reason in {"no_text", "empty"}
    else:
        assert record.title == "Tiêu đề"


@pytest.mark.timeout(10)
def test_many_siblings_and_long_lines() -> None:
    # Bounded work, not a generous limit: above MAX_THOROUGH_ELEMENTS the bare spans are
    # unwrapped before any pass, htmldate is skipped and trafilatura runs without its
    # fallbacks (5.6 s -> 2 s on a loaded 2-core machine).
    html = ("<html><body><h1>Tiêu đề</h1><div>" + "<span>x</span>" * 50000 + f"<p>{PARA * 3}</p>" * 5
            + "</div></body></html>")
    record = extract_article(html, URL)
    assert "hội nghị tổng kết" in record.text
    assert {"body:huge_page", "htmldate:skipped_huge"} <= set(record.notes)


@pytest.mark.timeout(10)
def test_one_huge_word_under_the_element_cap() -> None:
    # Few elements, so the thorough path: trafilatura's metadata pass must not run
    # htmldate's extensive text search over it.
    html = ("<html><body><h1>Tiêu đề</h1><div>" + "x" * 2_000_000 + "</div>" + f"<p>{PARA * 3}</p>" * 5
            + "</body></html>")
    record = extract_article(html, URL)
    assert "hội nghị tổng kết" in record.text


def test_error_carries_reason_and_message() -> None:
    err = ExtractionError("no_text", "nothing here")
    assert (err.reason, err.message, str(err)) == ("no_text", "nothing here", "no_text: nothing here")
