"""The registry against its evidence: outlet URLs seen in stored public copies
(crawler/registry_evidence/<key>.yaml). Every evidenced article URL must match the
entry's ``article_url_pattern`` or one of its ``legacy_patterns`` (within the years that
pattern was in use, when the article's date is known); every listing, home, feed,
sitemap or other outlet URL must match neither. A test fails naming the outlet and the
URLs when an entry and its evidence disagree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crawler.core.registry import (
    BUILTIN_REGISTRY,
    EVIDENCE_DIR,
    Evidence,
    Outlet,
    load_evidence,
    load_file,
    load_live_checks,
    record_live_checks,
)
from tests.conftest import run_cli

REGISTRY = {o.key: o for o in load_file(BUILTIN_REGISTRY)}
EVIDENCE_FILES = sorted(EVIDENCE_DIR.glob("*.yaml"))


def _evidence(key: str) -> Evidence:
    evidence = load_evidence(key)
    assert evidence is not None, f"no evidence file for {key}"
    return evidence


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date else None


def test_every_outlet_has_an_evidence_file_and_every_file_an_outlet():
    assert {p.stem for p in EVIDENCE_FILES} == set(REGISTRY)
    for path in EVIDENCE_FILES:
        assert _evidence(path.stem).outlet == path.stem, path


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_evidenced_article_urls_match_the_entry(key: str):
    outlet, evidence = REGISTRY[key], _evidence(key)
    wrong = []
    for item in evidence.articles:
        if outlet.is_article_url(item.url):
            continue
        legacy = outlet.legacy_pattern_for(item.url)
        if legacy is None:
            wrong.append(f"{item.url}: matches neither article_url_pattern nor a legacy pattern")
            continue
        year = _year(item.date)
        if year is not None and not ((legacy.since or year) <= year <= (legacy.until or year)):
            wrong.append(f"{item.url}: dated {item.date}, outside the legacy pattern's years {legacy.years}")
    assert not wrong, f"{key}: entry and evidence disagree:\n" + "\n".join(wrong)


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_evidenced_listing_home_feed_and_other_urls_are_not_articles(key: str):
    outlet, evidence = REGISTRY[key], _evidence(key)
    wrong = [f"{item.kind} {item.url}" for item in evidence.urls
             if item.kind != "article" and (outlet.is_article_url(item.url) or outlet.legacy_pattern_for(item.url))]
    assert not wrong, f"{key}: non-article URLs taken for articles:\n" + "\n".join(wrong)


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_legacy_pattern_is_backed_by_evidence(key: str):
    outlet, evidence = REGISTRY[key], _evidence(key)
    for legacy in outlet.legacy_patterns:
        assert any(not outlet.is_article_url(u.url) and outlet.legacy_pattern_for(u.url) == legacy
                   for u in evidence.articles), f"{key}: legacy pattern {legacy.pattern} has no evidenced URL"


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_evidence_says_where_it_was_seen(key: str):
    evidence = _evidence(key)
    assert all(item.source.strip() for item in evidence.urls), key
    assert len({item.url for item in evidence.urls}) == len(evidence.urls), f"{key}: a URL listed twice"
    if not evidence.articles:
        assert evidence.looked, f"{key}: no article evidence and no note of where it was looked for"


def test_most_outlets_have_article_evidence():
    with_articles = [key for key in REGISTRY if _evidence(key).articles]
    assert len(with_articles) >= 25, sorted(set(REGISTRY) - set(with_articles))


def test_a_disagreeing_entry_is_caught():
    """The check itself: a pattern that rejects an evidenced article URL is reported."""
    outlet = REGISTRY["baocantho"]
    wrong = Outlet.model_validate(outlet.model_dump() | {"article_url_pattern": r"^https://baocantho\.com\.vn/x$"})
    article = _evidence("baocantho").articles[0].url
    assert outlet.is_article_url(article)
    assert not wrong.is_article_url(article) and wrong.legacy_pattern_for(article) is None


def test_level_and_newest_date():
    evidence = Evidence.model_validate({"outlet": "x", "collected": "2026-12-03", "urls": [
        {"url": "https://x.vn/a-1.html", "kind": "article", "source": "s", "date": "2024-05"},
        {"url": "https://x.vn/b-2.html", "kind": "article", "source": "s", "date": "2025"},
        {"url": "https://x.vn/c/", "kind": "listing", "source": "s", "date": "2026-01-08"}]})
    assert evidence.level == "urls" and evidence.newest == "2026-01-08"
    with_page = Evidence.model_validate(evidence.model_dump() | {"urls": [
        {"url": "https://x.vn/a-1.html", "kind": "article", "source": "s", "page": True}]})
    assert with_page.level == "urls+page"
    assert Evidence.model_validate({"outlet": "x", "collected": "2026-12-03"}).level == "none"


def test_hand_written_dates_may_be_unquoted():
    evidence = Evidence.model_validate(yaml.safe_load(
        "outlet: x\ncollected: 2026-12-03\nurls:\n"
        "  - {url: 'https://x.vn/a-1.html', kind: article, source: s, date: 2026-01-08}\n"
        "  - {url: 'https://x.vn/b-2.html', kind: article, source: s, date: 2019}\n"))
    assert [u.date for u in evidence.urls] == ["2026-01-08", "2019"]


def test_sources_list_shows_level_and_date_for_every_outlet(tmp_path: Path):
    env = {"PROVNEWS_LIVE_CHECKS": str(tmp_path / "none.yaml")}
    rows = json.loads(run_cli("sources", "list", "--format", "json", env=env).stdout)
    assert {r["key"] for r in rows} == set(REGISTRY)
    for row in rows:
        assert row["evidence"]["level"] in ("none", "urls", "urls+page"), row["key"]
        assert row["verified"] is None, row["key"]
        # The newest dated piece of evidence, or at least when the evidence was collected.
        assert row["evidence"]["newest"] or row["evidence"]["collected"], row["key"]
    table = run_cli("sources", "list", env=env).stdout
    assert "evidence" in table and "urls+page" in table


def test_live_check_results_are_kept_in_a_shareable_overrides_file(tmp_path: Path):
    path = tmp_path / "live.yaml"
    probe = {"outlet": "baolangson", "kind": "feed", "url": "https://baolangson.vn/rss/home.rss",
             "status": 200, "articles": 20, "problem": None, "ok": True}
    record_live_checks([probe, probe | {"outlet": "baocaobang", "ok": False, "status": 404}], path,
                       checked_at="2026-12-03T09:00:00+00:00")
    checks = load_live_checks(path)
    assert checks["baolangson"]["verified"] == "live" and checks["baocaobang"]["verified"] == "failed"
    shown = json.loads(run_cli("sources", "show", "baolangson", env={"PROVNEWS_LIVE_CHECKS": str(path)}).stdout)
    assert shown["verified"] == {"status": "live", "checked_at": "2026-12-03T09:00:00+00:00"}
    assert shown["evidence"]["level"] in ("urls", "urls+page")
