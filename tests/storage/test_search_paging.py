"""Paging through search results and listings: totals, and a stable order while a crawl inserts."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone

import pytest

from crawler.core.record import ArticleRecord, content_hash
from crawler.services.search import find_articles
from storage import ArticleWrite, Database, make_url_key, search, upsert_articles

VN = timezone(timedelta(hours=7))
BASE = datetime(2025, 7, 1, 8, 0, tzinfo=VN)


def write(db: Database, start: int, count: int, text: str, *, newer: bool = False) -> None:
    items = []
    for n in range(start, start + count):
        url = f"https://baolangson.vn/tin-{n}.html"
        body = f"{text} Bài số {n}."
        record = ArticleRecord(url=url, outlet="baolangson", title=f"Tin {n}", text=body,
                               published_at=BASE + timedelta(hours=n + (10_000 if newer else 0)),
                               content_hash=content_hash(body))
        items.append(ArticleWrite(record, make_url_key(url)))
    db.run_in_transaction(lambda session: upsert_articles(session, items))


PHRASE = "Hàng hóa qua cửa khẩu Tân Thanh tăng."
SCATTERED = "Cửa hàng mới mở ở trung tâm thành phố. Hàng hóa xuất khẩu tăng mạnh."


def test_pages_neither_repeat_nor_skip_while_a_crawl_inserts(db: Database) -> None:
    write(db, 1, 17, PHRASE)
    write(db, 18, 6, SCATTERED)
    with db.read_session() as session:
        everything = [h.id for h in search(session, "cửa khẩu", limit=100)]
    assert len(everything) == 17  # the scattered ones are not listed while phrases exist
    seen: list[int] = []
    as_of = None
    for page in range(4):
        with db.read_session() as session:
            hits = search(session, "cửa khẩu", limit=5, offset=page * 5, as_of=as_of)
        as_of = hits.as_of
        seen += [h.id for h in hits]
        assert (hits.total, hits.total_exact) == (17, True)
        # Newer articles that would rank first arrive between pages.
        write(db, 100 + page * 3, 3, PHRASE, newer=True)
    assert seen == everything
    with db.read_session() as session:
        assert search(session, "cửa khẩu", limit=100).total == 17 + 12  # a new search sees them


def test_the_total_is_a_lower_bound_past_the_window(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("storage.search"), "RANK_WINDOW", 4)
    write(db, 1, 9, PHRASE)
    with db.read_session() as session:
        first = search(session, "cửa khẩu", limit=2)
        deep = search(session, "cửa khẩu", limit=2, offset=6)
    assert (first.total, first.total_exact) == (4, False)  # "at least 4"
    assert len(deep) == 2  # a deeper page widens the window to offset + limit
    assert (deep.total, deep.total_exact) == (8, False)


def test_scattered_matches_are_listed_only_when_nothing_holds_the_phrase(db: Database) -> None:
    write(db, 1, 3, SCATTERED)
    with db.read_session() as session:
        loose = search(session, "cửa khẩu")
    assert len(loose) == 3 and loose.loose and {h.match for h in loose} == {"apart"}
    write(db, 4, 1, PHRASE)
    with db.read_session() as session:
        held = search(session, "cửa khẩu")
    assert [h.match for h in held] == ["phrase"] and not held.loose


def test_listing_pages_are_stable_too(db: Database) -> None:
    write(db, 1, 12, PHRASE)
    seen: list[int] = []
    as_of = None
    for page in range(3):
        with db.read_session() as session:
            found = find_articles(session, None, limit=4, offset=page * 4, as_of=as_of)
        as_of = found.as_of
        seen += [r["id"] for r in found.records]
        assert (found.total, found.total_exact) == (12, True)
        assert all("snippet" not in r and r["story_size"] == 1 for r in found.records)
        write(db, 50 + page, 1, PHRASE, newer=True)
    assert len(seen) == len(set(seen)) == 12
