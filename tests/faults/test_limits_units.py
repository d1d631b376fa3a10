"""The limit helpers alone: URL-trap filter, Retry-After parsing, reason codes, the
article response check."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.utils.test import get_crawler
from twisted.internet import error as txerror
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawler import settings as provnews_settings
from crawler.fetching.article_types import ArticleResponseMiddleware
from crawler.fetching.errors import FetchError, reason_for
from crawler.fetching.limits import url_trap
from crawler.fetching.retry import retry_after_seconds

CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


@pytest.mark.parametrize("url,reason", [
    ("https://x.vn/a/a/a/", "repeated_segment"),
    ("https://x.vn/tin/a/tin/b/tin/c", "repeated_segment"),
    ("https://x.vn/" + "/".join(f"s{i}" for i in range(21)), "too_many_segments"),
    ("https://x.vn/" + "x" * 2100, "url_too_long"),
])
def test_url_traps(url, reason):
    assert url_trap(url, 2083, 20, 2)[0] == reason


@pytest.mark.parametrize("url", ["https://x.vn/a/a/", "https://x.vn/tin-tuc/2025/07/bai-1.html",
                                 "https://x.vn/" + "/".join(f"s{i}" for i in range(20))])
def test_normal_urls_pass(url):
    assert url_trap(url, 2083, 20, 2) is None


def test_retry_after_forms():
    assert retry_after_seconds(b"120") == 120
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert 25 <= retry_after_seconds(format_datetime(later, usegmt=True)) <= 31
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize("exc,reason", [
    (DownloadTimeoutError("x"), "timeout"), (txerror.TimeoutError(), "timeout"),
    (ResponseDataLossError(), "dataloss"), (DownloadCancelledError(), "too_large"),
    (txerror.ConnectionRefusedError(), "conn_refused"), (txerror.DNSLookupError(), "dns_error"),
    (txerror.ConnectionLost(), "conn_lost"), (IgnoreRequest("offsite"), "ignored"),
    (FetchError("redirect_loop", "u"), "redirect_loop"), (ValueError("?"), "download_error"),
])
def test_reason_codes_are_short_snake_case(exc, reason):
    got = reason_for(exc, Request("https://nowhere.invalid/"))
    assert got == reason and CODE.match(got)


def _wrapped(cause: Exception) -> DownloadFailedError:
    """What Scrapy's HTTP handler raises for a Twisted ``ResponseFailed``."""
    try:
        raise DownloadFailedError(str(cause)) from cause
    except DownloadFailedError as exc:
        return exc


def test_a_connection_reset_before_the_answer_is_conn_lost():
    lost = _wrapped(ResponseNeverReceived([Failure(txerror.ConnectionLost())]))
    other = _wrapped(ResponseNeverReceived([Failure(ValueError("bad status line"))]))
    assert reason_for(lost) == "conn_lost"
    assert reason_for(other) == "download_error"


def _article_check(body: bytes, ctype: str | None, status: int = 200, article: bool = True) -> str | None:
    """The reason ArticleResponseMiddleware refuses the response for, or None."""
    crawler = get_crawler(settings_dict={k: getattr(provnews_settings, k) for k in
                                         ("PROVNEWS_ARTICLE_TYPES", "PROVNEWS_MIN_BODY_BYTES")})
    request = Request("https://x.vn/a.html", meta={"article_url": "https://x.vn/a.html"} if article else {})
    headers = {"Content-Type": ctype} if ctype else {}
    try:
        ArticleResponseMiddleware(crawler).process_response(
            request, Response(request.url, status=status, headers=headers, body=body, request=request))
    except FetchError as exc:
        return exc.reason
    return None


PAGE = b"<html><body>" + b"<p>" + "Tin tức tỉnh Lạng Sơn. ".encode() * 10 + b"</p></body></html>"


@pytest.mark.parametrize("body,ctype,status,article,reason", [
    (PAGE, "text/html; charset=utf-8", 200, True, None),
    (PAGE, "Application/XHTML+XML", 200, True, None),
    (PAGE, None, 200, True, None),                              # no type: extraction sniffs
    (b"%PDF-1.4" + PAGE, "application/pdf", 200, True, "unsupported_type"),
    (PAGE, "text/plain", 200, True, "unsupported_type"),
    (b" \n ", "text/html", 200, True, "empty_extract"),
    (b"<html><body>OK</body></html>", "text/html", 200, True, "empty_extract"),
    (b"", "text/html", 404, True, None),                        # errors are the spider's to record
    (b"%PDF-1.4", "application/pdf", 200, False, None),         # not an article request
])
def test_article_responses_must_be_html_with_a_body(body, ctype, status, article, reason):
    assert _article_check(body, ctype, status, article) == reason
