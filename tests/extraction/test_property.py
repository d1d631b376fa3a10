"""Matrix row D7: any bytes in, no crash out.

decode → extract is fed random bytes and random HTML fragments; the only allowed
outcomes are a record whose text fields are NFC ``str`` or "no article"
(``ExtractionError``, the documented None). Any other exception fails the test.
"""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crawler.core.record import ArticleRecord
from crawler.extraction import ExtractionError, decode_html, extract_bytes

URL = "https://baotinh.example.vn/bai-viet-1.html"
# Few examples, no deadline: the machine is shared, and each extraction runs trafilatura.
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that stresses the decoder and normaliser: Vietnamese letters precomposed and
# decomposed (NFD tone marks), C1 controls, replacement and bidi characters, markup.
_ALPHABET = st.sampled_from(list(
    "aăâeêioôơuưyđAĐ ạảãàáẠ\u0300\u0301\u0303\u0309\u0323\u0080\u009f\ufffd\u202e<>&;\"'=/\n\t"
))
_TEXT = st.text(_ALPHABET, max_size=80) | st.text(max_size=80)
_TAGS = st.sampled_from(["p", "div", "h1", "title", "article", "span", "script", "style", "meta",
                         "br", "table", "td", "time", "a", "img", "figure", "figcaption"])


@st.composite
def html_fragments(draw: st.DrawFn) -> bytes:
    """A soup of (often unbalanced) tags, attributes and text, in a random encoding."""
    parts = []
    for _ in range(draw(st.integers(0, 30))):
        tag = draw(_TAGS)
        attr = draw(st.sampled_from(["", ' class="content-detail"', ' charset="windows-1258"',
                                     ' property="og:title" content="x"', ' style="text-align:right"']))
        parts.append(draw(st.sampled_from([f"<{tag}{attr}>", f"</{tag}>", "&#x1EA1;", "&bogus;", ""])))
        parts.append(draw(_TEXT))
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "cp1258", "cp1252"]))
    return "".join(parts).encode(encoding, "replace")


def _decode_then_extract(body: bytes, content_type: str | None) -> ArticleRecord | None:
    try:
        return extract_bytes(body, URL, content_type=content_type)
    except ExtractionError:
        return None


def _assert_nfc_output(body: bytes, content_type: str | None) -> None:
    page = decode_html(body, content_type)
    assert isinstance(page.text, str) and unicodedata.is_normalized("NFC", page.text)
    record = _decode_then_extract(body, content_type)
    if record is None:
        return
    for value in (record.title, record.summary, record.text, *record.authors):
        assert value is None or (isinstance(value, str) and unicodedata.is_normalized("NFC", value))


_CONTENT_TYPES = st.sampled_from([None, "text/html", "text/html; charset=utf-8",
                                  "text/html; charset=ISO-8859-1", "text/html; charset=bogus-42"])


@FAST
@given(body=st.binary(max_size=200_000), content_type=_CONTENT_TYPES)
# A NUL stripped from between "n" and a combining mark leaves a pair NFC composes.
@example(body=b"n\x00\xde", content_type=None)
def test_d7_random_bytes_never_raise(body: bytes, content_type: str | None) -> None:
    _assert_nfc_output(body, content_type)


@FAST
@given(body=html_fragments(), content_type=_CONTENT_TYPES)
# Found in CI: lxml refused the backspace left in a parent's text once <script> went.
@example(body=b"<script></script></p></p></p>\x08", content_type=None)
def test_d7_random_html_fragments_never_raise(body: bytes, content_type: str | None) -> None:
    _assert_nfc_output(b"<html><body>" + body + b"</body></html>", content_type)
