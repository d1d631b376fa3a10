"""Article extraction: pure functions from a fetched page to an ``ArticleRecord``.

- ``decode_html(bytes, content_type)`` → ``DecodedPage`` (NFC text, encoding, source, mojibake)
- ``extract_article(html, url, outlet=, fallback_date=)`` → ``ArticleRecord``
- ``extract_bytes(body, url, content_type=, outlet=, fallback_date=)`` → ``ArticleRecord``
- ``full_text(record)`` → the printed lead (when there is one) and the text: the whole article
- ``parse_date(text, tz)`` → aware ``datetime`` (Vietnamese formats, day-first)

No I/O anywhere; ``ExtractionError(reason, message)`` when a page holds no article.
"""

from crawler.core.dates import parse_date
from crawler.extraction.article import (
    MAX_INPUT,
    extract_article,
    extract_bytes,
    full_text,
)
from crawler.extraction.encoding import DecodedPage, decode_html
from crawler.extraction.errors import ExtractionError

__all__ = [
    "MAX_INPUT", "DecodedPage", "ExtractionError", "decode_html", "extract_article",
    "extract_bytes", "full_text", "parse_date",
]
