"""ArchiveMiddleware: article responses become WARC records, everything else passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.archive.middleware import META_KEY, ArchiveMiddleware
from crawler.archive.warc import read_page

URL = "https://baolangson.vn/dua-nuoc-ve-ban-5000013.html"
BODY = "<html><body><p>Đưa nước về bản</p></body></html>".encode()


def middleware(tmp_path: Path, **settings: object) -> ArchiveMiddleware:
    crawler = get_crawler(settings_dict={"PROVNEWS_ARCHIVE": True, "PROVNEWS_ARCHIVE_DIR": str(tmp_path),
                                         "PROVNEWS_ARCHIVE_MAX_BYTES": 10**9, **settings})
    crawler.stats.open_spider()
    return ArchiveMiddleware.from_crawler(crawler)


def test_an_article_response_is_archived_with_its_redirects(tmp_path: Path) -> None:
    mw = middleware(tmp_path)
    asked = "https://baolangson.vn/old-5000013.html"
    request = Request(URL, meta={"article_url": asked, "redirect_urls": [asked]})
    response = HtmlResponse(URL, body=BODY, headers={"Content-Type": "text/html; charset=utf-8"}, request=request)
    assert mw.process_response(request, response) is response
    ref = request.meta[META_KEY]
    mw.writer.close()
    page = read_page(tmp_path, ref.file, ref.offset, ref.length)
    assert (page.url, page.status, page.body, page.redirects, page.request_url) == (URL, 200, BODY, [asked], asked)
    assert page.header("Content-Type") == "text/html; charset=utf-8" and page.digest == ref.digest
    assert mw.stats.get_value("provnews/archive/records") == 1
    assert mw.stats.get_value("provnews/archive/bytes") == ref.length


def test_other_responses_pass_unarchived(tmp_path: Path) -> None:
    mw = middleware(tmp_path)
    request = Request("https://baolangson.vn/rss/home.rss", meta={"route": "feed"})
    mw.process_response(request, HtmlResponse(request.url, body=b"<rss/>", request=request))
    assert META_KEY not in request.meta and not list(tmp_path.glob("*.warc.gz"))


def test_no_archive_turns_it_off(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        middleware(tmp_path, PROVNEWS_ARCHIVE=False)
