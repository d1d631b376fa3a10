"""Matrix row F7 through the web app's scrape form (crawler.web.scrape): the same guard
and runner as ``POST /scrape``. A refused URL makes no request (the "internal" server
counts every hit); an allowed one is stored and its page opens."""

from __future__ import annotations

from pathlib import Path

import lxml.html
from fastapi.testclient import TestClient

from crawler.api import ApiConfig, create_app

TOKEN = "form-token"


def _client(tmp_path: Path, **config: object) -> TestClient:
    return TestClient(create_app(ApiConfig(f"sqlite:///{tmp_path / 'provnews.db'}", web_scrape=True,
                                           web_token=TOKEN, **config)))  # type: ignore[arg-type]


def _submit(c: TestClient, url: str) -> lxml.html.HtmlElement:
    form = lxml.html.fromstring(c.get("/scrape/new").text)
    csrf = form.cssselect('input[name="csrf_token"]')[0].get("value")
    response = c.post("/scrape/new", data={"url": url, "token": TOKEN, "csrf_token": csrf})
    page = lxml.html.fromstring(response.text)
    page.status = response.status_code  # type: ignore[attr-defined]
    return page


def test_the_form_refuses_what_the_api_refuses_without_a_request(tmp_path, internal):
    with _client(tmp_path) as c:
        for url, reason in ((f"http://127.0.0.1:{internal.port}/secret", "blocked_address"),
                            (f"http://[::1]:{internal.port}/secret", "blocked_address"),
                            ("http://example.com:6379/", "blocked_port"), ("file:///etc/passwd", "bad_scheme")):
            page = _submit(c, url)
            assert page.status == 403, url  # type: ignore[attr-defined]
            assert reason in page.cssselect("#scrape-result code")[0].text
    assert internal.total == 0


def test_the_form_stores_an_allowed_url_and_links_to_it(tmp_path, evil):
    url = f"http://127.0.0.1:{evil.port}/art/web-form.html"
    with _client(tmp_path, egress_allow=(f"127.0.0.1:{evil.port}",)) as c:
        page = _submit(c, url)
        assert page.status == 200  # type: ignore[attr-defined]
        (link,) = page.cssselect("#scrape-result a")
        article = lxml.html.fromstring(c.get(link.get("href")).text)
        assert article.cssselect("h1")[0].text == "Bài viết web-form.html"
        assert article.cssselect(".original a")[0].get("href") == url
    assert evil.count("127.0.0.1", "/art/web-form.html") == 1
