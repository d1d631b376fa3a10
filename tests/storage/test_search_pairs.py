"""The word-pair index (migration 0014) behind the phrase tier, on every backend."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone

import pytest

from crawler.core.record import ArticleRecord, content_hash
from storage import ArticleWrite, Database, make_url_key, search, upsert_articles
from storage.archive import apply_reextraction

VN = timezone(timedelta(hours=7))


def store(db: Database, n: int, text: str, title: str = "Tin") -> None:
    url = f"https://baolangson.vn/tin-{n}.html"
    record = ArticleRecord(url=url, outlet="baolangson", title=title, text=text,
                           published_at=datetime(2025, 7, 1, 8, tzinfo=VN) + timedelta(hours=n),
                           content_hash=content_hash(text))
    db.run_in_transaction(lambda session: upsert_articles(session, [ArticleWrite(record, make_url_key(url))]))


def test_a_rewritten_article_leaves_its_old_pairs(db: Database) -> None:
    store(db, 1, "Hàng hóa qua cửa khẩu Tân Thanh tăng.")
    store(db, 1, "Giá vàng hôm nay tăng mạnh.")  # the same URL, new text
    with db.read_session() as session:
        assert [h.match for h in search(session, "cửa khẩu")] == []
        assert [h.match for h in search(session, "giá vàng")] == ["phrase"]
        assert [h.match for h in search(session, "gia vang")] == ["phrase"]


def test_all_pairs_apart_is_not_the_phrase(db: Database) -> None:
    store(db, 1, "Xây dựng nông thôn, rồi đến thôn mới ở xã.")  # nông thôn + thôn mới, never in one run
    store(db, 2, "Chương trình nông thôn mới của tỉnh.")
    with db.read_session() as session:
        hits = search(session, "nông thôn mới")
        folded = search(session, "nong thon moi")
    assert [h.match for h in hits] == ["phrase", "near"]
    assert [h.match for h in folded] == ["phrase", "near"]
    assert hits[0].url.endswith("tin-2.html") and folded[0].url.endswith("tin-2.html")


def test_title_pairs_rank_the_title_first(db: Database) -> None:
    store(db, 1, "Hàng hóa qua đây.", title="Cửa khẩu Tân Thanh")  # older, the phrase in its title
    store(db, 2, "Cửa khẩu Hữu Nghị thông quan.", title="Tin biên giới")
    with db.read_session() as session:
        assert [h.url.rsplit("/", 1)[1] for h in search(session, "cửa khẩu")] == ["tin-1.html", "tin-2.html"]


def test_a_tier_below_the_page_is_counted_in_the_newest_ids(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("storage.search"), "COUNT_ROWS", {"sqlite": 2, "postgresql": 2})
    for n in range(1, 5):
        store(db, n, "Cửa hàng mở, khẩu hiệu mới." if n < 3 else "Qua cửa khẩu Tân Thanh.")
    with db.read_session() as session:
        first = search(session, "cửa khẩu", limit=1)  # the page lies in the phrase tier
        all_ = search(session, "cửa khẩu", limit=4)  # the page reaches the near tier
    assert (first.total, first.total_exact) == (2, False)  # the older near matches lie below the newest 2 ids
    assert (all_.total, all_.total_exact) == (4, True)


def test_a_reextracted_article_leaves_its_old_pairs(db: Database) -> None:
    store(db, 1, "Hàng hóa qua cửa khẩu Tân Thanh tăng.")
    with db.read_session() as session:
        (hit,) = search(session, "cửa khẩu")
    text = "Giá vàng hôm nay tăng mạnh."
    record = ArticleRecord(url=hit.url, outlet="baolangson", title="Tin", text=text,
                           published_at=datetime(2025, 7, 1, 9, tzinfo=VN), content_hash=content_hash(text))
    with db.session() as session, session.begin():
        assert "text" in apply_reextraction(session, hit.id, record, "v2", 0.5)
    with db.read_session() as session:
        assert [h.match for h in search(session, "cửa khẩu")] == []
        assert [h.id for h in search(session, "giá vàng")] == [hit.id]
