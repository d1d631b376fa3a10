"""Which stored articles a crawl fetches again to catch revisions, at any hour.

CI once failed only between 00:00 and 12:00 UTC: a timestamp written as ISO text with a
"T" sorted after SQLAlchemy's "YYYY-MM-DD HH:MM:SS" whenever both fell on one date.
The clock is frozen at both halves of the day so such a bug cannot hide in either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from storage import Database, crawlstate
from storage.models import Article
from tests.storage.test_storage_queries import record, store


@pytest.mark.parametrize("hour", [3, 15])
def test_an_article_seen_a_day_ago_is_rechecked_and_one_seen_an_hour_ago_is_not(
        db: Database, monkeypatch: pytest.MonkeyPatch, hour: int) -> None:
    frozen = datetime(2026, 12, 3, hour, 0, tzinfo=UTC)
    monkeypatch.setattr(crawlstate, "now", lambda: frozen)
    stale, fresh = "https://baolangson.vn/cu-1.html", "https://baolangson.vn/moi-2.html"
    for url, seen in ((stale, frozen - timedelta(days=1)), (fresh, frozen - timedelta(hours=1))):
        store(db, record(url, text=url, published_at=frozen - timedelta(hours=2)))
        with db.session() as session, session.begin():
            session.execute(update(Article).where(Article.url == url).values(last_seen_at=seen))
    with db.read_session() as session:
        due = crawlstate.recheck_urls(session, "baolangson", published_within=timedelta(days=3),
                                      fetched_before=timedelta(hours=12))
    assert due == [stale]
