"""The web app's pages through FastAPI's TestClient: what they show, that untrusted
text never becomes markup, the security headers, and the scrape form's refusals."""

from __future__ import annotations

import csv as csv_module
import io
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from fastapi.testclient import TestClient

from crawler.api import ApiConfig, create_app
from crawler.web.present import safe_href
from crawler.web.security import CSRF_COOKIE
from storage.search import fold
from tests.web.seed import Seeded

TOKEN = "secret-write-token"


@pytest.fixture(scope="module")
def db(web_db: tuple[Path, Seeded]) -> tuple[Path, Seeded]:
    return web_db


def client(path: Path, **config: object) -> TestClient:
    return TestClient(create_app(ApiConfig(f"sqlite:///{path}", **config)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def web(db: tuple[Path, Seeded]) -> TestClient:
    return client(db[0])


def tree(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def result_ids(response) -> list[int]:
    return [int(a.get("href").split("/")[2].split("?")[0]) for a in tree(response).cssselect(".result h3 a")]


def assert_inert(response) -> None:
    """No element the page did not write itself: no script, no handler, only http(s) or local links."""
    page = tree(response)
    assert not page.xpath("//script | //iframe | //img | //object | //embed")
    handlers = [(el.tag, name) for el in page.iter() if isinstance(el.tag, str) for name in el.attrib
                if name.lower().startswith("on")]
    assert not handlers
    for el in page.xpath("//*[@href or @src or @action]"):
        for name in ("href", "src", "action"):
            value = el.get(name)
            if value is not None:
                assert value.startswith(("/", "#")) or safe_href(value), f"<{el.tag} {name}={value!r}>"


# ---- search


def test_search_finds_the_same_with_and_without_diacritics(web: TestClient):
    plain, marked = web.get("/?q=lang+son"), web.get("/?q=l%E1%BA%A1ng+s%C6%A1n")
    assert plain.status_code == marked.status_code == 200
    api = web.get("/search", params={"q": "lạng sơn", "limit": 20}).json()
    assert set(result_ids(marked)) == {r["id"] for r in api["results"]}
    assert set(result_ids(plain)) & set(result_ids(marked))
    snippet = tree(marked).cssselect(".result .snippet mark")
    assert snippet and {fold(m.text_content()) for m in snippet} <= {"lang", "son"}


def test_results_show_outlet_date_in_vietnam_time_and_total(web: TestClient):
    response = web.get("/?q=lang+son")
    api = web.get("/search", params={"q": "lang son", "limit": 20}).json()
    first = tree(response).cssselect(".result")[0]
    stamp = first.cssselect("time")[0]
    published = datetime.fromisoformat(api["results"][0]["published_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert stamp.get("datetime") == published.isoformat()
    assert stamp.text == published.strftime("%d/%m/%Y %H:%M")
    assert api["results"][0]["outlet"] in first.cssselect(".outlet")[0].text
    total = tree(response).cssselect("#total")[0].text_content().split()
    assert total[-1].replace(",", "") == str(api["total"])


def test_pages_of_results_follow_each_other_without_overlap(web: TestClient):
    api = web.get("/search", params={"q": "lang son", "limit": 40}).json()
    assert api["total"] > 20, "the test needs two pages of results"
    first = web.get("/?q=lang+son")
    next_link = tree(first).cssselect('.pager a[rel="next"]')[0].get("href")
    params = parse_qs(urlsplit(next_link).query)
    assert params["page"] == ["2"] and params["q"] == ["lang son"] and params["as_of"] == [str(api["as_of"])]
    second = web.get(next_link)
    assert result_ids(first) + result_ids(second) == [r["id"] for r in api["results"]]
    assert tree(second).cssselect('.pager a[rel="prev"]')


def test_filters_are_in_the_url_and_kept_by_the_form(web: TestClient):
    url = "/?q=lang+son&outlet=baolangson&since=2010-01-01&until=2024-12-31&section=&author="
    page = tree(web.get(url))
    assert page.cssselect("#outlet option[selected]")[0].get("value") == "baolangson"
    assert page.cssselect("#since")[0].get("value") == "2010-01-01"
    api = web.get("/search", params={"q": "lang son", "outlet": "baolangson", "since": "2010-01-01",
                                     "until": "2024-12-31"}).json()
    assert len(page.cssselect(".result")) == api["count"]


def test_a_bad_filter_is_explained_not_a_crash(web: TestClient):
    response = web.get("/?since=2024-13-01")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in tree(response).cssselect('[role="alert"]')[0].text_content()
    response = web.get("/?outlet=baolangsom")
    assert response.status_code == 422 and "did you mean baolangson" in response.text


def test_story_size_says_how_many_other_outlets(web: TestClient, db: tuple[Path, Seeded]):
    seeded = db[1]
    response = web.get("/?q=ban+dang+lai")
    copy = next(r for r in tree(response).cssselect(".result") if f"/article/{seeded.copy_id}" in
                r.cssselect("h3 a")[0].get("href"))
    assert copy.cssselect(".story")[0].text == "cũng đăng trên 1 báo khác"


def test_export_links_give_the_results_as_csv(web: TestClient):
    page = tree(web.get("/?q=lang+son&outlet=baolangson"))
    links = {a.text: a.get("href") for a in page.cssselect(".export a")}
    assert {"CSV", "JSONL"} <= set(links)
    csv = web.get(links["CSV"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    rows = list(csv_module.DictReader(io.StringIO(csv.text)))
    api = web.get("/search", params={"q": "lang son", "outlet": "baolangson", "limit": 200}).json()
    # Export is `provnews export --query`: every full-text match, in id order. Search's
    # ranking can leave out a match whose syllables are only far apart, so it may list fewer.
    assert {r["id"] for r in api["results"]} <= {int(r["id"]) for r in rows}
    assert {r["outlet"] for r in rows} == {"baolangson"}


# ---- the article


def test_article_page_shows_the_record_versions_and_story(web: TestClient, db: tuple[Path, Seeded]):
    seeded = db[1]
    response = web.get(f"/article/{seeded.copy_id}")
    page = tree(response)
    assert page.cssselect("h1")[0].text == "Bản đăng lại"
    versions = page.cssselect(".versions > li")
    assert len(versions) == 2
    assert "Đoạn cuối được thêm khi sửa bài." in versions[1].cssselect(".diff ins")[-1].text
    copies = page.cssselect("#story .copy h3 a")
    assert [a.get("href") for a in copies] == [f"/article/{seeded.original_id}"]
    assert page.cssselect(".original a")[0].get("href") == "https://baocaobang.vn/ban-sao-9000003.html"


def test_raw_page_is_served_as_inert_text(web: TestClient, db: tuple[Path, Seeded]):
    seeded = db[1]
    page = tree(web.get(f"/article/{seeded.original_id}"))
    raw_link = page.xpath('//a[contains(@href, "/raw")]')[0].get("href")
    raw = web.get(raw_link)
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/plain")
    assert "sandbox" in raw.headers["content-security-policy"]
    assert b"<html" in raw.content.lower()
    # A hand-stored article has no archived page: said so, no link.
    assert "/raw" not in web.get(f"/article/{seeded.xss_id}").text
    assert web.get(f"/article/{seeded.xss_id}/raw").status_code == 404


def test_unknown_article_is_an_html_404(web: TestClient):
    for path in ("/article/999999", "/article/abc", "/article/99999999999999999999999"):
        response = web.get(path)
        assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


# ---- safe by construction


def test_hostile_article_renders_as_text(web: TestClient, db: tuple[Path, Seeded]):
    seeded = db[1]
    response = web.get(f"/article/{seeded.xss_id}")
    assert_inert(response)
    page = tree(response)
    # The markup is there, as the text a reader sees.
    assert page.cssselect("h1")[0].text_content().startswith('<script>window.__xss = "title"')
    assert "onerror=" in page.cssselect(".lead")[0].text_content()
    captions = [c.text_content() for c in page.cssselect("figcaption")]
    assert any("<script>" in c for c in captions) and any("onerror=" in c for c in captions)
    # Neither image URL is linked: one is javascript:, the other holds a quote and a space.
    assert len(page.cssselect(".images .unsafe")) == 2


def test_javascript_url_is_shown_not_linked(web: TestClient, db: tuple[Path, Seeded]):
    response = web.get(f"/article/{db[1].xss_url_id}")
    assert_inert(response)
    original = tree(response).cssselect(".original")[0]
    assert not original.cssselect("a") and original.cssselect(".unsafe")[0].text.startswith("javascript:")


@pytest.mark.parametrize("path", ["/?q=bai+doc+hai", "/", "/outlets", "/outlets/baolangson", "/?q=cao+bang"])
def test_listings_with_hostile_rows_stay_inert(web: TestClient, path: str):
    response = web.get(path)
    assert response.status_code == 200
    assert_inert(response)


def test_every_page_sends_a_strict_csp(web: TestClient, db: tuple[Path, Seeded]):
    for path in ("/", "/?q=lang+son", f"/article/{db[1].xss_id}", "/outlets", "/outlets/baolangson", "/scrape/new",
                 "/article/999999"):
        headers = web.get(path).headers
        csp = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert csp["default-src"] == "'none'" and "script-src" not in csp
        assert csp["style-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
        assert headers["x-content-type-options"] == "nosniff"


def test_safe_href_accepts_only_http_urls():
    assert safe_href("https://baolangson.vn/a.html") == "https://baolangson.vn/a.html"
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "data:text/html,<script>", "vbscript:x", "//evil.example/", "/relative", "http:/x", None, 12):
        assert safe_href(bad) is None, bad


# ---- the scrape form


def count_articles(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def form_token(c: TestClient) -> str:
    page = c.get("/scrape/new")
    return tree(page).cssselect('input[name="csrf_token"]')[0].get("value")


def test_scrape_form_is_off_and_read_only_by_default(db: tuple[Path, Seeded]):
    off = client(db[0])
    page = off.get("/scrape/new")
    assert not tree(page).cssselect("form.scrape") and "--web-scrape" in page.text
    read_only = client(db[0], web_scrape=True)
    page = read_only.get("/scrape/new")
    assert not tree(page).cssselect("form.scrape") and "PROVNEWS_WEB_TOKEN" in page.text
    before = count_articles(db[0])
    # No form, so no CSRF token to post with: refused whatever the body says.
    response = read_only.post("/scrape/new", data={"url": "https://baolangson.vn/x-1.html", "token": ""})
    assert response.status_code == 403
    assert count_articles(db[0]) == before


def test_scrape_form_refuses_a_post_without_its_csrf_token(db: tuple[Path, Seeded]):
    c = client(db[0], web_scrape=True, web_token=TOKEN)
    before = count_articles(db[0])
    token = form_token(c)
    cookie = c.cookies.get(CSRF_COOKIE)
    cases = [{"url": "https://baolangson.vn/x-1.html", "token": TOKEN},                      # no field
             {"url": "https://baolangson.vn/x-1.html", "token": TOKEN, "csrf_token": token + "x"}]  # forged
    for data in cases:
        response = c.post("/scrape/new", data=data)
        assert response.status_code == 403 and "tải lại trang" in response.text
    c.cookies.clear()                                                                            # no cookie
    response = c.post("/scrape/new", data={"url": "https://baolangson.vn/x-1.html", "token": TOKEN,
                                           "csrf_token": token})
    assert response.status_code == 403 and cookie
    assert count_articles(db[0]) == before


def test_scrape_form_refuses_a_wrong_write_token_and_a_guarded_url(db: tuple[Path, Seeded]):
    c = client(db[0], web_scrape=True, web_token=TOKEN)
    before = count_articles(db[0])
    response = c.post("/scrape/new", data={"url": "https://baolangson.vn/x-1.html", "token": "wrong",
                                           "csrf_token": form_token(c)})
    assert response.status_code == 403 and "Mã cho phép ghi không đúng" in response.text
    for url, reason in (("http://127.0.0.1:22/", "blocked_"), ("http://10.1.2.3/x.html", "blocked_address"),
                        ("ftp://baolangson.vn/x", "bad_scheme")):
        response = c.post("/scrape/new", data={"url": url, "token": TOKEN, "csrf_token": form_token(c)})
        assert response.status_code == 403, url
        result = tree(response).cssselect("#scrape-result")[0].text_content()
        assert "Từ chối" in result and reason in result
    assert count_articles(db[0]) == before


# ---- outlets and language


def test_outlet_chart_counts_the_articles_of_the_last_90_days(web: TestClient, db: tuple[Path, Seeded]):
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    first = today - timedelta(days=89)
    with sqlite3.connect(db[0]) as conn:
        days = [row[0] for row in conn.execute(
            "SELECT date(published_at, '+7 hours') FROM articles WHERE outlet = 'baolangson'")]
    expected = sum(1 for d in days if d and first.isoformat() <= d <= today.isoformat())
    assert expected > 0
    overview = tree(web.get("/outlets")).cssselect("#chart-baolangson path.bars")[0]
    counts = [int(n) for n in overview.get("data-counts").split(",")]
    assert len(counts) == 90 and sum(counts) == expected
    assert overview.get("d").count("M") == sum(1 for n in counts if n)
    bars = tree(web.get("/outlets/baolangson")).cssselect("#chart-baolangson rect.bar")
    assert sum(int(b.get("data-count")) for b in bars) == expected
    assert all(float(b.get("height")) > 0 for b in bars)


def test_outlet_page_lists_its_runs_from_the_ledger(web: TestClient, db: tuple[Path, Seeded]):
    with sqlite3.connect(db[0]) as conn:
        runs = conn.execute("SELECT count(*) FROM crawl_runs WHERE outlet = 'baolangson'").fetchone()[0]
    page = tree(web.get("/outlets/baolangson"))
    assert len(page.cssselect("table.runs tbody tr")) == runs > 0
    assert web.get("/outlets/nosuchoutlet").status_code == 404


def test_language_from_accept_language_or_the_url(web: TestClient):
    assert tree(web.get("/")).get("lang") == "vi"
    english = web.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})
    assert tree(english).get("lang") == "en" and "Search articles" in english.text
    assert tree(web.get("/?lang=vi", headers={"Accept-Language": "en"})).get("lang") == "vi"
    # An explicit ?lang= is carried by the page's links, so a shared link keeps the language.
    links = [a.get("href") for a in tree(web.get("/?lang=en&q=lang+son")).cssselect(".result h3 a")]
    assert links and all(link.endswith("?lang=en") for link in links)
