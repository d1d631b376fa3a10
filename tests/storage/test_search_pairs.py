"""The word-pair index (migration 0014) behind the phrase tier, on every backend."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text as sql_text

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


def test_a_near_match_with_no_adjacent_pair_is_listed_once(db: Database) -> None:
    # Folded, "nong ... thon ... moi" is near with no adjacent pair; nothing holds the
    # marks as typed, so the listing is loose and scattered matches come last: this
    # article is in the near tier, not again among the scattered ones.
    store(db, 1, "Trời nóng, cả thôn ấy mỗi nhà đều mở cửa.")
    with db.read_session() as session:
        hits = search(session, "nông thôn mới")
    assert hits.loose and [h.match for h in hits] == ["near"]
    assert (hits.total, hits.total_exact) == (1, True)


def _store_at(db: Database, n: int, text: str, outlet: str = "baolangson") -> None:
    url = f"https://{outlet}.vn/tin-{n}.html"
    record = ArticleRecord(url=url, outlet=outlet, title="Tin", text=text,
                           published_at=datetime(2025, 7, 1, 8, tzinfo=VN) + timedelta(hours=n),
                           content_hash=content_hash(text))
    db.run_in_transaction(lambda session: upsert_articles(session, [ArticleWrite(record, make_url_key(url))]))


def test_the_pair_tier_pages_newest_first_within_the_filters(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pair tier (every syllable, one adjacent pair) read a window of 2 at a time,
    below a near tier whose articles also hold a pair, leaving out a flagged article
    and another outlet's."""
    monkeypatch.setattr(importlib.import_module("storage.search"), "RANK_WINDOW", 2)
    pair = "Nông thôn đổi thay từng ngày, một hai ba bốn năm sáu bảy, nhà {n} mới."
    near = "Xây nông thôn nay mới, bài {n}."
    apart = "Nông dân vui, một hai ba bốn năm sáu bảy tám, thôn {n} xa, một hai ba bốn năm sáu bảy tám, nhà mới."
    plan = [(1, pair, "baolangson"), (2, near, "baolangson"), (3, pair, "baolangson"), (4, apart, "baolangson"),
            (5, pair, "baocaobang"), (6, pair, "baolangson"), (7, near, "baolangson"), (8, pair, "baolangson"),
            (9, apart, "baolangson"), (10, pair, "baolangson")]
    for n, text, outlet in plan:
        _store_at(db, n, text.format(n=n), outlet)
    with db.session() as session, session.begin():
        session.execute(sql_text("UPDATE articles SET encoding_confidence = 'low' WHERE url LIKE '%/tin-8.html'"))
    seen: list[tuple[str, str]] = []
    with db.read_session() as session:
        for page in range(8):
            hits = search(session, "nông thôn mới", outlet="baolangson", limit=1, offset=page)
            seen += [(h.url.rsplit("-", 1)[1].split(".")[0], h.match) for h in hits]
        whole = search(session, "nông thôn mới", outlet="baolangson", limit=10)
    assert seen == [("7", "near"), ("2", "near"), ("10", "pair"), ("6", "pair"), ("3", "pair"), ("1", "pair")]
    assert [h.id for h in whole] == [h.id for h in whole][:6] and len(whole) == 6
    assert (whole.total, whole.total_exact) == (6, True)
