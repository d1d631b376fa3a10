from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from crawler.core.record import ArticleRecord, Image, content_hash
from storage import (
    Database,
    add_url,
    count_articles,
    find_by_content_hash,
    get_article,
    iter_articles,
    latest_articles,
    make_url_key,
    outlet_summary,
    search,
    upsert_article,
)
from storage.models import Article, ArticleUrl

VN = timezone(timedelta(hours=7))


def record(url: str = "https://baolangson.vn/mua-lon-123.html", **overrides: object) -> ArticleRecord:
    values: dict[str, object] = {
        "outlet": "baolangson",
        "canonical_url": url,
        "title": "Lạng Sơn: mưa lớn gây sạt lở",
        "summary": "Mưa lớn kéo dài nhiều ngày.",
        "text": "Mưa lớn kéo dài khiến nhiều tuyến đường ở Lạng Sơn bị sạt lở.",
        "authors": ["Minh Anh"],
        "published_at": datetime(2025, 7, 1, 8, 30, tzinfo=VN),
        "published_at_source": "meta:article:published_time",
        "updated_at": datetime(2025, 7, 1, 2, 0, tzinfo=UTC),
        "section": "Thời sự",
        "tags": ["mưa lũ", "sạt lở"],
        "image_url": "https://baolangson.vn/anh.jpg",
        "images": [Image("https://baolangson.vn/anh.jpg", "Đường bị sạt lở")],
        "language": "vi",
        "word_count": 14,
        "fetched_at": datetime(2025, 7, 1, 3, 0, tzinfo=UTC),
        "encoding": "utf-8",
    }
    values.update(overrides)
    rec = ArticleRecord(url=url, **values)  # type: ignore[arg-type]
    if rec.content_hash is None:
        rec.content_hash = content_hash(rec.text)
    return rec


def store(db: Database, rec: ArticleRecord, seen: list[str] | None = None):  # type: ignore[no-untyped-def]
    with db.session() as session, session.begin():
        return upsert_article(session, rec, make_url_key(rec.canonical_url or rec.url), seen or [])


def rows(db: Database, model: type) -> int:
    with db.read_session() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_insert_then_unchanged_adds_no_row(db: Database) -> None:
    first = store(db, record())
    with db.read_session() as session:
        seen_before = session.execute(select(Article.first_seen_at, Article.last_seen_at)).one()
    second = store(db, record())
    assert first.status == "inserted"
    assert second == (("unchanged", first.id))
    assert rows(db, Article) == 1
    assert rows(db, ArticleUrl) == 1
    with db.read_session() as session:
        first_seen, last_seen = session.execute(select(Article.first_seen_at, Article.last_seen_at)).one()
    assert first_seen == seen_before.first_seen_at
    assert last_seen >= seen_before.last_seen_at


def test_changed_text_updates_row_and_search_index(db: Database) -> None:
    first = store(db, record())
    new_text = "Bản cập nhật: nước lũ đã rút tại Cao Lộc."
    updated = store(db, record(text=new_text, content_hash=content_hash(new_text)))
    assert updated == ("updated", first.id)
    assert rows(db, Article) == 1
    with db.read_session() as session:
        assert get_article(session, first.id).text == new_text  # type: ignore[union-attr]
        # The FTS trigger / expression index follows the update.
        assert [h.id for h in search(session, "cao loc")] == [first.id]
        assert search(session, "tuyến đường") == []


def test_helpers_do_not_commit(db: Database) -> None:
    with db.session() as session:
        session.begin()
        upsert_article(session, record(), make_url_key("k"), [])
        session.rollback()
    assert rows(db, Article) == 0


def test_aware_datetimes_round_trip_in_their_offset(db: Database) -> None:
    rec = record()
    store(db, rec)
    with db.read_session() as session:
        got = get_article(session, rec.url)
    assert got is not None
    assert got.published_at == rec.published_at
    assert got.published_at.utcoffset() == timedelta(hours=7)
    assert got.published_at.isoformat() == "2025-07-01T08:30:00+07:00"
    assert got.updated_at.isoformat() == "2025-07-01T02:00:00+00:00"  # type: ignore[union-attr]
    assert got.fetched_at == rec.fetched_at
    with db.read_session() as session:
        stored_utc = session.execute(select(Article.published_at)).scalar_one()
    assert stored_utc == datetime(2025, 7, 1, 1, 30, tzinfo=UTC)


def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="naive"):
        store(db, record(published_at=datetime(2025, 7, 1, 8, 30)))
    assert rows(db, Article) == 0


def test_record_fields_round_trip(db: Database) -> None:
    rec = record()
    result = store(db, rec)
    with db.read_session() as session:
        got = get_article(session, result.id)
    rec.id = result.id
    assert got is not None
    assert got.as_json() == rec.as_json()
    assert got.images == [Image("https://baolangson.vn/anh.jpg", "Đường bị sạt lở")]
    assert got.encoding == "utf-8"


def test_missing_content_hash_is_computed(db: Database) -> None:
    rec = record(content_hash=None)
    rec.content_hash = None
    store(db, rec)
    with db.read_session() as session:
        assert session.execute(select(Article.content_hash)).scalar_one() == content_hash(rec.text)


def test_article_urls_are_kept_and_resolve(db: Database) -> None:
    canonical = "https://baolangson.vn/mua-lon-123.html"
    amp = "https://baolangson.vn/amp/mua-lon-123.html"
    redirect = "http://baolangson.vn/?p=123"
    result = store(db, record(canonical), [amp, redirect, amp])
    store(db, record(canonical), [redirect])
    assert rows(db, ArticleUrl) == 3
    with db.read_session() as session:
        for url in (canonical, amp, redirect, str(result.id)):
            got = get_article(session, url)
            assert got is not None and got.id == result.id
        assert get_article(session, "https://baolangson.vn/khong-co.html") is None
        assert get_article(session, 99999) is None


def test_url_of_another_article_keeps_its_first_owner(db: Database) -> None:
    first = store(db, record("https://baolangson.vn/a.html"), ["https://baolangson.vn/shared"])
    second = store(db, record("https://baolangson.vn/b.html", text="Bài khác"), ["https://baolangson.vn/shared"])
    assert first.id != second.id
    with db.read_session() as session:
        assert get_article(session, "https://baolangson.vn/shared").id == first.id  # type: ignore[union-attr]


def test_find_by_content_hash_is_per_outlet(db: Database) -> None:
    rec = record()
    result = store(db, rec)
    with db.read_session() as session:
        assert find_by_content_hash(session, "baolangson", rec.content_hash) == result.id  # type: ignore[arg-type]
        assert find_by_content_hash(session, "baodanang", rec.content_hash) is None  # type: ignore[arg-type]
        assert find_by_content_hash(session, "baolangson", "0" * 64) is None
        assert find_by_content_hash(session, "baolangson", None) is None


def test_null_content_hash_is_never_a_duplicate(db: Database) -> None:
    store(db, record())
    with db.session() as session, session.begin():
        session.execute(Article.__table__.update().values(content_hash=None))
    with db.read_session() as session:
        assert find_by_content_hash(session, "baolangson", None) is None


def test_add_url_to_existing_article(db: Database) -> None:
    result = store(db, record())
    with db.session() as session, session.begin():
        add_url(session, result.id, "https://baolangson.vn/ban-sao.html")
        add_url(session, result.id, "https://baolangson.vn/ban-sao.html")
    assert rows(db, ArticleUrl) == 2
    with db.read_session() as session:
        assert get_article(session, "https://baolangson.vn/ban-sao.html").id == result.id  # type: ignore[union-attr]


def test_counts_summary_and_iteration(db: Database) -> None:
    store(db, record("https://baolangson.vn/1", published_at=datetime(2025, 7, 1, 23, 30, tzinfo=VN)))
    store(db, record("https://baolangson.vn/2", text="Hai", published_at=datetime(2025, 7, 3, 6, 0, tzinfo=VN)))
    store(db, record("https://baodanang.vn/3", outlet="baodanang", text="Ba", published_at=None))
    with db.read_session() as session:
        assert count_articles(session) == 3
        assert count_articles(session, "baolangson") == 2
        assert count_articles(session, "khong-co") == 0
        summary = {row.outlet: row for row in outlet_summary(session)}
        assert summary["baolangson"].articles == 2
        assert summary["baolangson"].first_published.isoformat() == "2025-07-01T23:30:00+07:00"  # type: ignore[union-attr]
        assert summary["baolangson"].last_published == datetime(2025, 7, 3, 6, 0, tzinfo=VN)
        assert summary["baodanang"].first_published is None
        assert [r.url for r in iter_articles(session, batch_size=1)] == [
            "https://baolangson.vn/1", "https://baolangson.vn/2", "https://baodanang.vn/3",
        ]
        # 2025-07-01 23:30 +07:00 is 16:30 UTC: it belongs to July 1st in Vietnam.
        assert [r.url for r in iter_articles(session, until=date(2025, 7, 1))] == ["https://baolangson.vn/1"]
        assert [r.url for r in iter_articles(session, since=date(2025, 7, 2))] == ["https://baolangson.vn/2"]
        assert [r.url for r in iter_articles(session, outlet="baodanang")] == ["https://baodanang.vn/3"]
        ids = {r.url: r.id for r in iter_articles(session)}
        newest_first = [ids["https://baolangson.vn/2"], ids["https://baolangson.vn/1"], ids["https://baodanang.vn/3"]]
        assert latest_articles(session) == newest_first
        assert latest_articles(session, outlet="baolangson", limit=1) == newest_first[:1]
        assert latest_articles(session, until=date(2025, 7, 1)) == newest_first[1:2]
