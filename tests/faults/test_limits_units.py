"""The limit helpers alone: URL-trap filter, Retry-After parsing, reason codes."""

from __future__ import annotations

import re
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest, ResponseDataLossError
from twisted.internet import error as txerror

from crawler.middlewares import FetchError, reason_for, retry_after_seconds, url_trap

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
