"""Batched upserts, province/section/author filters, streaming iteration and per-outlet stats."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import func, select

from storage import (
    ArticleWrite,
    Database,
    iter_articles,
    latest_articles,
    make_url_key,
    open_database,
    search,
    upsert_article,
    upsert_articles,
)
from storage.models import Article, ArticleUrl
from storage.queries import outlet_stats
from storage.search import _fold_slow, fold
from tests.storage.test_storage_queries import record

VN = timezone(timedelta(hours=7))


def write(db: Database, items: list[ArticleWrite]):  # type: ignore[no-untyped-def]
    return db.run_in_transaction(lambda session: upsert_articles(session, items))


def item(n: int, **overrides: object) -> ArticleWrite:
    province = overrides.pop("province", "Lạng Sơn")
    rec = record(f"https://baolangson.vn/tin-{n}.html", text=overrides.pop("text", f"Bài số {n} về Lạng Sơn."),
                 **overrides)
    return ArticleWrite(rec, make_url_key(rec.url), (), province)  # type: ignore[arg-type]


def test_batch_statuses_order_and_duplicate_keys(db: Database) -> None:
    first = write(db, [item(1), item(2), item(3)])
    assert [r.status for r in first] == ["inserted"] * 3
    changed = item(2, text="Nội dung mới hoàn toàn.")
    again = write(db, [item(3), changed, item(4), item(4)])
    assert [r.status for r in again] == ["unchanged", "updated", "inserted", "inserted"]
    assert again[2].id == again[3].id  # one key twice in a batch: one row
    assert again[0].id == first[2].id and again[1].id == first[1].id
    with db.read_session() as session:
        assert session.scalar(select(func.count(Article.id))) == 4
        assert session.scalar(select(func.count(ArticleUrl.id))) == 4
        assert session.scalar(select(Article.text).where(Article.id == first[1].id)) == "Nội dung mới hoàn toàn."


def test_batch_equals_one_by_one(db: Database) -> None:
    items = [item(n) for n in range(10)]
    batch = write(db, items)
    with db.session() as session, session.begin():
        single = [upsert_article(session, i.record, i.url_key, province=i.province) for i in items]
    assert [r.id for r in single] == [r.id for r in batch]
    assert {r.status for r in single} == {"unchanged"}


def test_province_is_kept_when_a_later_upsert_has_none(db: Database) -> None:
    [stored] = write(db, [item(1, province="Cao Bằng")])
    write(db, [item(1, province=None, text="Đổi nội dung.")])  # updated, no province given
    write(db, [item(1, province=None, text="Đổi nội dung.")])  # unchanged, no province given
    with db.read_session() as session:
        row = session.execute(select(Article.province, Article.province_key).where(Article.id == stored.id)).one()
    assert tuple(row) == ("Cao Bằng", "cao bang")
    write(db, [item(1, province="Lạng Sơn", text="Đổi nội dung.")])  # unchanged, province given: refreshed
    with db.read_session() as session:
        assert session.scalar(select(Article.province_key).where(Article.id == stored.id)) == "lang son"


def test_filters_ignore_diacritics_and_case(db: Database) -> None:
    write(db, [
        item(1, province="Lạng Sơn", section="Thời sự", authors=["Nguyễn Minh Anh"]),
        item(2, province="Cao Bằng", section="Kinh tế", authors=["Trần Đức", "Lê Hà"]),
        item(3, province=None, section=None, authors=[]),
    ])

    def urls(**filters: object) -> set[str]:
        with db.read_session() as session:
            hits = {h.url[-10:] for h in search(session, "lạng sơn", **filters)}  # type: ignore[arg-type]
            listed = {session.get(Article, i).url[-10:] for i in latest_articles(session, **filters)}  # type: ignore[arg-type, union-attr]
            exported = {r.url[-10:] for r in iter_articles(session, **filters)}  # type: ignore[arg-type]
        assert hits == listed == exported
        return hits

    assert urls(province="lang son") == urls(province="LẠNG SƠN") == {"tin-1.html"}
    assert urls(section="kinh te") == {"tin-2.html"}
    assert urls(author="duc") == urls(author="Đức") == {"tin-2.html"}
    assert urls(author="minh") == {"tin-1.html"}
    assert urls(author="!!!") == urls(province="") == urls(section="%") == urls(author="%") == set()
    assert urls(province="lang") == set()  # province and section match whole values


def test_iter_articles_with_query_streams_matches_in_id_order(db: Database) -> None:
    write(db, [item(n, text=("Chợ biên giới" if n % 2 else "Nông thôn mới") + f" số {n}") for n in range(1, 8)])
    with db.read_session() as session:
        assert [r.url[-9:] for r in iter_articles(session, query="cho bien gioi", batch_size=2)] == [
            "in-1.html", "in-3.html", "in-5.html", "in-7.html"]
        assert list(iter_articles(session, query="!!! ***")) == []
        assert list(iter_articles(session, query='"', outlet="baolangson")) == []
        assert len(list(iter_articles(session, query="x" * 10_000))) == 0


def test_outlet_stats_histogram_counts_vietnam_days(db: Database) -> None:
    today = date(2025, 7, 10)
    write(db, [
        # 23:30 UTC on 7 July is 06:30 on 8 July in Vietnam.
        item(1, published_at=datetime(2025, 7, 7, 23, 30, tzinfo=UTC)),
        item(2, published_at=datetime(2025, 7, 10, 8, 0, tzinfo=VN)),
        item(3, published_at=datetime(2025, 7, 10, 9, 0, tzinfo=VN)),
        item(4, published_at=datetime(2025, 1, 1, 9, 0, tzinfo=VN)),  # before the window
        item(5, outlet="baocaobang", published_at=None, fetched_at=None),
    ])
    with db.read_session() as session:
        stats = {s.outlet: s for s in outlet_stats(session, days=5, today=today)}
    ls = stats["baolangson"]
    assert ls.articles == 4 and ls.daily == [0, 0, 1, 0, 2]
    assert ls.first_published == datetime(2025, 1, 1, 9, 0, tzinfo=VN)
    assert ls.last_published == datetime(2025, 7, 10, 9, 0, tzinfo=VN)
    assert ls.last_fetched is not None and ls.last_fetched.utcoffset() == timedelta(hours=7)
    assert stats["baocaobang"].daily == [0] * 5 and stats["baocaobang"].last_fetched is None


def test_fast_fold_equals_the_definition() -> None:
    rng = random.Random(3)
    alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ" \
               "ĐÁÀẢÃẠ \t\n\u00a0ßİﬁ\u0301\u0323Ω.!\"*-_:()123"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert fold(text) == " ".join(_fold_slow(text).split()), text


def test_queries_with_a_common_word_rank_by_title_then_recency(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    search_module = importlib.import_module("storage.search")

    base = datetime(2025, 7, 1, 8, 0, tzinfo=VN)
    write(db, [
        item(1, title="Tin khác", text="Chợ biên giới mở cửa lại.", published_at=base),
        item(2, title="Chợ biên giới đông vui", text="Chợ biên giới mở cửa.", published_at=base - timedelta(days=3)),
        item(3, title="Tin khác nữa", text="Chợ biên giới mở cửa lại.", published_at=base + timedelta(days=1)),
        item(4, title="Không liên quan", text="Mưa lớn.", published_at=base),
    ])
    with db.read_session() as session:
        ranked_by_bm25 = [h.url[-10:] for h in search(session, "cho bien gioi")]
        monkeypatch.setattr(search_module, "COMMON_DF", 2)  # every word is now "common"
        broad = [h.url[-10:] for h in search(session, "cho bien gioi")]
        filtered = [h.url[-10:] for h in search(session, "cho bien gioi", until=base.date())]
    assert sorted(ranked_by_bm25) == sorted(broad) == ["tin-1.html", "tin-2.html", "tin-3.html"]
    assert broad == ["tin-2.html", "tin-3.html", "tin-1.html"]  # the title match, then newest first
    assert filtered == ["tin-2.html", "tin-1.html"]


def test_a_query_of_only_common_words_searches_the_newest_articles(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    search_module = importlib.import_module("storage.search")
    base = datetime(2025, 7, 1, 8, 0, tzinfo=VN)
    write(db, [item(n, title=f"Tin {n}", text="Chợ biên giới" + (" đặc biệt" if n == 1 else "")
                    + (" mới" if n in (1, 5, 6) else ""),
                    authors=["Minh Anh" if n % 2 else "Lê Hà"], published_at=base + timedelta(days=n))
               for n in range(1, 7)])
    # Every word of "chợ biên giới" is in all 6 articles: common once COMMON_DF is 4.
    monkeypatch.setattr(search_module, "COMMON_DF", 4)
    monkeypatch.setattr(search_module, "SCAN_ROWS", 3)  # only ids 4, 5, 6 are searched...
    monkeypatch.setattr(search_module, "FIRST_SLICE", 1)  # ... read in slices {6}, then {4, 5}
    with db.read_session() as session:
        def found(query: str, **filters: str) -> list[int]:
            return [h.id for h in search(session, query, **filters)]  # type: ignore[arg-type]

        assert found("cho bien gioi") == [6, 5, 4]
        assert found('"cho bien gioi"', outlet="baolangson", author="minh anh") == [5]
        assert found("cho bien gioi", outlet="baotuyenquang") == []
        # "dac biet" is in one article: not every word is common, so all are searched.
        assert found("cho bien gioi dac biet") == [1]
        assert found("moi") == [6, 5, 1]  # in 3 articles: rare
        # The probe counts matches among the newest DF_SAMPLE ids and scales up:
        # "moi" in both of ids 5, 6 estimates 2 x 6 / 2 = 6 articles, so it is common.
        monkeypatch.setattr(search_module, "DF_SAMPLE", 2)
        assert found("moi") == [6, 5]
        # The hits say the search was bounded; a date range lifts the bound, because ids
        # follow insertion, not publication: the older articles are found again.
        monkeypatch.setattr(search_module, "DF_SAMPLE", 5000)
        assert search(session, "cho bien gioi").newest_only == 3
        assert found("cho bien gioi", until=date(2025, 7, 3)) == [2, 1]
        assert search(session, "cho bien gioi", until=date(2025, 7, 3)).newest_only is None


def test_the_search_command_says_when_only_the_newest_articles_were_searched(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from typer.testing import CliRunner

    from crawler.cli.main import app

    search_module = importlib.import_module("storage.search")
    url = f"sqlite:///{tmp_path / 'provnews.db'}"
    database = open_database(url)
    base = datetime(2025, 7, 1, 8, 0, tzinfo=VN)
    write(database, [item(n, title=f"Tin {n}", text="Chợ biên giới", published_at=base + timedelta(days=n))
                     for n in range(1, 7)])
    database.close()
    monkeypatch.setattr(search_module, "COMMON_DF", 4)
    monkeypatch.setattr(search_module, "SCAN_ROWS", 3)
    bounded = CliRunner().invoke(app, ["search", "cho bien gioi", "--format", "json", "--db", url])
    assert bounded.exit_code == 0, bounded.output
    assert "only the newest 3 articles were searched" in bounded.stderr
    dated = CliRunner().invoke(app, ["search", "cho bien gioi", "--until", "2025-07-31", "--format", "json",
                                     "--db", url])
    assert len(json.loads(dated.stdout)) == 6 and "newest" not in dated.stderr
