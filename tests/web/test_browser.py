"""The web app in a real browser: Debian's chromium (``apt-get install chromium``, as
.ci/run does) driven by Playwright's Python package, never a browser Playwright
downloads. The server is ``provnews serve --web-scrape`` under uvicorn on 127.0.0.1
over the web tests' database (seed.py). Screenshots go to tests/artifacts/screenshots.

Every page is checked with axe-core (tests/web/vendor/axe-core) for serious or
critical violations, and the hostile articles must open no dialog and run no script.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.seed import Seeded

CHROMIUM = os.environ.get("PROVNEWS_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PORTS = range(9190, 9200)
TOKEN = "browser-test-token"

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
    pytest.skip(f"no chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does)", allow_module_level=True)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture(scope="module")
def server(web_db: tuple[Path, Seeded]) -> Iterator[str]:
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}, "PROVNEWS_WEB_TOKEN": TOKEN}
    # To a file, not a pipe: a pipe nobody reads would stall the server once full.
    log = web_db[0].with_name(f"serve-{port}.log")
    err = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--port", str(port), "--web-scrape",
                             "--db", f"sqlite:///{web_db[0]}"], env=env, stdout=subprocess.DEVNULL,
                            stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None:
            pytest.fail(f"provnews serve exited {proc.returncode}: {log.read_text()}")
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("provnews serve did not listen within 60 s")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    err.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context(base_url=server, locale="vi-VN")
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def result_titles(page) -> list[str]:
    return page.locator(".result h3 a").all_inner_texts()


def search(page, words: str) -> None:
    page.goto("/")
    page.fill("#q", words)
    page.press("#q", "Enter")
    page.wait_for_load_state()


def test_search_with_and_without_diacritics(page):
    search(page, "lạng sơn")
    marked = result_titles(page)
    assert parse_qs(urlsplit(page.url).query)["q"] == ["lạng sơn"]
    shot(page, "search-lang-son-diacritics")
    search(page, "lang son")
    plain = result_titles(page)
    assert marked and plain and set(marked) & set(plain)
    assert page.locator(".result .snippet mark").count() > 0
    shot(page, "search-lang-son-plain")


def test_open_an_article_from_the_results(page):
    search(page, "lang son")
    first = page.locator(".result h3 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert page.url.split("?")[0].rsplit("/", 2)[-2] == "article"
    assert page.locator("h1").inner_text() == title
    assert page.locator(".original a").get_attribute("href").startswith("https://")
    shot(page, "article")


def test_follow_a_story_copy(page, web_db: tuple[Path, Seeded]):
    seeded = web_db[1]
    page.goto(f"/article/{seeded.copy_id}")
    assert page.locator(".versions > li").count() == 2 and page.locator(".diff ins").count() > 0
    shot(page, "article-story-and-versions")
    page.locator("#story .copy h3 a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/article/{seeded.original_id}")
    assert page.locator(f'#story a[href="/article/{seeded.copy_id}"]').count() == 1


def test_page_through_results(page):
    search(page, "lang son")
    first = result_titles(page)
    total = page.locator("#total").inner_text()
    page.locator('.pager a[rel="next"]').click()
    page.wait_for_load_state()
    assert parse_qs(urlsplit(page.url).query)["page"] == ["2"]
    second = result_titles(page)
    assert second and not set(first) & set(second)
    assert page.locator("#total").inner_text().split()[-1] == total.split()[-1]
    shot(page, "search-page-2")
    page.locator('.pager a[rel="prev"]').click()
    page.wait_for_load_state()
    assert result_titles(page) == first


def test_outlet_chart_is_drawn(page):
    page.goto("/outlets")
    drawn = page.locator("#chart-baolangson path.bars").bounding_box()
    assert drawn and drawn["width"] > 0 and drawn["height"] > 0
    shot(page, "outlets")
    page.locator("#outlet-baolangson h2 a").click()
    page.wait_for_load_state()
    bars = page.locator("#chart-baolangson rect.bar")
    assert bars.count() > 0
    assert max(bars.nth(i).bounding_box()["height"] for i in range(bars.count())) > 0
    assert page.locator("table.runs tbody tr").count() > 0
    shot(page, "outlet-baolangson")


def test_a_refused_url_in_the_scrape_form_shows_the_refusal(page):
    page.goto("/scrape/new")
    page.fill("#url", "http://127.0.0.1:22/admin")
    page.fill("#token", TOKEN)
    page.click("form.scrape button[type=submit]")
    page.wait_for_load_state()
    result = page.locator("#scrape-result").inner_text()
    assert "Từ chối" in result and "blocked_" in result
    shot(page, "scrape-refused")


def test_hostile_pages_run_no_script(page, web_db: tuple[Path, Seeded]):
    seeded = web_db[1]
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    for path in (f"/article/{seeded.xss_id}", f"/article/{seeded.xss_url_id}", "/?q=bai+doc+hai", "/outlets",
                 "/?q=cao+bang"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__xss") == "undefined", path
        assert page.locator("script").count() == 0, path
    # The payloads are on the page, as text.
    page.goto(f"/article/{seeded.xss_id}")
    assert page.locator("h1").inner_text().startswith("<script>")
    shot(page, "xss-article-inert")
    assert page.dialogs == []  # type: ignore[attr-defined]
    # Escaping, not the CSP, kept them inert: the browser had nothing to block.
    assert blocked == []


def test_keyboard_reaches_the_skip_link_and_the_search_box(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")          # to <main>: the next Tab skips the navigation
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"


def test_readable_on_a_phone(browser, server: str, web_db: tuple[Path, Seeded]):
    context = browser.new_context(base_url=server, viewport={"width": 375, "height": 740}, is_mobile=True)
    phone = context.new_page()
    for name, path in (("search", "/?q=lang+son"), ("article", f"/article/{web_db[1].copy_id}"),
                       ("outlets", "/outlets")):
        phone.goto(path)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        shot(phone, f"phone-{name}")
    context.close()


def test_no_serious_accessibility_violations(browser, server: str, web_db: tuple[Path, Seeded]):
    # Our CSP forbids every script, axe's included: only this context lets it in.
    context = browser.new_context(base_url=server, bypass_csp=True)
    page = context.new_page()
    seeded = web_db[1]
    found = {}
    for path in ("/", "/?q=lang+son", "/?q=lang+son&lang=en", f"/article/{seeded.copy_id}",
                 f"/article/{seeded.xss_id}", "/outlets", "/outlets/baolangson", "/scrape/new", "/article/999999"):
        page.goto(path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        assert result["passes"], f"axe checked nothing on {path}"
        serious = [f"{v['id']} ({v['impact']}): {v['help']} × {len(v['nodes'])}" for v in result["violations"]
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    context.close()
    assert found == {}
