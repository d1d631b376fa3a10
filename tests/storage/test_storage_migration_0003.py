"""Migration 0003 (new URL keys that merge rows, frontier and version backfill) over a filled database,
then up to head and back down to 0004."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, inspect, text

from crawler.core.urls import url_key
from storage import (
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    open_database,
    search,
    upgrade,
)
from storage.search import fold, search_text

# (url, title, text, section); the first two are one article under 0003's identity
# form (http + www. vs https), which 0002 stored as two.
ROWS = [
    ("http://www.baolangson.vn/tin-1.html", "Mưa lớn ở Lạng Sơn", "Mưa lớn gây sạt lở ở Cao Lộc.", "Thời sự"),
    ("https://baolangson.vn/tin-1.html", "Mưa lớn ở Lạng Sơn", "Mưa lớn gây sạt lở ở Cao Lộc.", "Thời sự"),
    ("https://baolangson.vn/tin-2.html", "Cửa khẩu Hữu Nghị thông quan", "Xuất nhập khẩu qua Lạng Sơn.", "Kinh tế"),
    ("https://baocaobang.vn/tin-3.html", "Thác Bản Giốc đón khách", "Du lịch Cao Bằng hồi phục.", None),
]
KEEPER, MERGED = 1, 2  # ids: 0003 keeps the oldest row of a merged pair
ARTICLE_COLUMNS = "id, url, canonical_url, title, summary, text, section, section_key, authors_key, published_at"


def _fill_at_0002(engine: Engine) -> None:
    """Rows as provnews 0002 wrote them: url_key = sha1 of the URL exactly as given (any unique value)."""
    now = datetime(2025, 7, 1, 1, 0, tzinfo=UTC)
    published = now if engine.dialect.name == "postgresql" else now.replace(tzinfo=None)
    with engine.begin() as connection:
        for i, (url, title, body, section) in enumerate(ROWS, start=1):
            connection.execute(text(
                "INSERT INTO articles (id, url_key, outlet, url, title, text, authors, tags, images, word_count,"
                " search_text, section, section_key, authors_key, province, province_key, published_at,"
                " first_seen_at, last_seen_at)"
                " VALUES (:id, :k, :o, :u, :t, :x, :a, '[]', '[]', 5, :s, :sec, :sk, '|minh anh|', NULL, NULL,"
                " :p, :n, :n)"),
                {"id": i, "k": f"old-{i:036d}", "o": urlsplit(url).hostname.removeprefix("www.").split(".")[0],
                 "u": url, "t": title, "x": body, "a": json.dumps(["Minh Anh"]), "s": search_text(title, body),
                 "sec": section, "sk": fold(section) if section else None, "p": published, "n": now})
            connection.execute(text("INSERT INTO article_urls (article_id, url, url_key) VALUES (:id, :u, :k)"),
                               {"id": i, "u": url, "k": f"old-{i:036d}"})
        # An AMP alias of the merged row: every URL of either row must end up on the keeper.
        connection.execute(text("INSERT INTO article_urls (article_id, url, url_key) VALUES (:id, :u, 'old-amp')"),
                           {"id": MERGED, "u": "https://baolangson.vn/amp/tin-1.html"})
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        with engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('articles', 'id'), 10)"))


def _articles(engine: Engine) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY id"))]


def _urls(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT url, article_id FROM article_urls")).all())


def _fts_ids(engine: Engine, word: str) -> set[int]:
    """Ids the full-text index itself returns (a stale entry of a deleted row would show here)."""
    sql = ("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q" if engine.dialect.name == "sqlite" else
           "SELECT id FROM articles WHERE search_vector @@ phraseto_tsquery('simple', :q)")
    with engine.connect() as connection:
        return set(connection.execute(text(sql), {"q": f'"{word}"'}).scalars())


def _upgraded_from_0002(db_url: str) -> tuple[Engine, list[tuple]]:  # type: ignore[type-arg]
    engine = make_engine(db_url)
    upgrade(engine, "0002")
    _fill_at_0002(engine)
    before = _articles(engine)
    upgrade(engine)
    return engine, before


def test_upgrade_from_0002_with_data_merges_one_article_and_loses_nothing(db_url: str) -> None:
    engine, before = _upgraded_from_0002(db_url)
    try:
        assert current_revision(engine) == head_revision()
        assert _articles(engine) == [row for row in before if row[0] != MERGED]
        urls = _urls(engine)
        assert set(urls) == {row[0] for row in ROWS} | {"https://baolangson.vn/amp/tin-1.html"}
        assert {u for u, article in urls.items() if article == KEEPER} == {
            ROWS[0][0], ROWS[1][0], "https://baolangson.vn/amp/tin-1.html"}
        with engine.connect() as connection:
            keys = dict(connection.execute(text("SELECT id, url_key FROM articles")).all())
            frontier = connection.execute(text("SELECT url_key, state FROM frontier")).all()
            versions = connection.execute(text("SELECT article_id, version, text FROM article_versions")).all()
        assert keys[KEEPER] == url_key(ROWS[0][0]) == url_key(ROWS[1][0])
        assert keys[3] == url_key(ROWS[2][0]) and keys[4] == url_key(ROWS[3][0])
        assert sorted(frontier) == sorted((key, "done") for key in keys.values())
        assert sorted(versions) == [(i, 1, ROWS[i - 1][2]) for i in (1, 3, 4)]
        assert _fts_ids(engine, "lang son") == {KEEPER, 3}
    finally:
        engine.dispose()
    database = open_database(db_url)
    try:
        with database.read_session() as session:
            assert sorted(h.id for h in search(session, "Lạng Sơn")) == [KEEPER, 3]
            assert [h.id for h in search(session, '"sạt lở"', section="thoi su", author="minh anh")] == [KEEPER]
            assert [h.id for h in search(session, "ban gioc")] == [4]
    finally:
        database.close()


def test_downgrade_head_to_0004_and_back_keeps_every_row(db_url: str) -> None:
    engine, _ = _upgraded_from_0002(db_url)
    try:
        at_head = (_articles(engine), _urls(engine))
        downgrade(engine, "0004")
        assert current_revision(engine) == "0004"
        assert (_articles(engine), _urls(engine)) == at_head
        columns = {c["name"] for c in inspect(engine).get_columns("articles")}
        assert not {"gone_at", "search_vector"} & columns
        if engine.dialect.name == "postgresql":  # 0001's expression index is back
            assert "ix_articles_search_tsv" in {ix["name"] for ix in inspect(engine).get_indexes("articles")}
        upgrade(engine)
        assert (_articles(engine), _urls(engine)) == at_head
        assert _fts_ids(engine, "cao loc") == {KEEPER}
    finally:
        engine.dispose()
