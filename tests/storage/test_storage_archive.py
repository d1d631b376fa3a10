"""storage.archive on SQLite and PostgreSQL: pointers, selection for re-extraction, and
a re-extraction that writes only what changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from crawler.core.archive import ArchiveRef
from crawler.core.record import content_hash, normalise
from storage import Database
from storage.archive import (
    add_record,
    apply_reextraction,
    archived_article_ids,
    point,
    pointers,
    records_for,
    references,
)
from storage.history import add_version
from storage.models import Article, ArticleVersion
from tests.storage.test_storage_queries import record, store

WHEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def archived(db: Database, url: str, version: str = "v1") -> int:
    """An article stored with its page in the archive, as the store pipeline stores one."""
    rec = record(url)
    result = store(db, rec)
    ref = ArchiveRef("a.warc.gz", 100 * result.id, 90, f"<urn:uuid:{result.id}>", "sha1:X", url, WHEN, 200)
    with db.session() as session, session.begin():
        archive_id = add_record(session, ref)
        point(session, result.id, archive_id, version)
        add_version(session, result.id, rec.title, rec.text, rec.content_hash or "", rec.fetched_at,
                    archive_id=archive_id, extractor_version=version)
    return result.id


def test_pointers_and_selection(db: Database) -> None:
    first = archived(db, "https://baolangson.vn/a-1.html")
    second = archived(db, "https://baolangson.vn/b-2.html", version="v2")
    store(db, record("https://baolangson.vn/c-3.html"))  # crawled with the archive off
    with db.read_session() as session:
        assert archived_article_ids(session) == [first, second]
        assert archived_article_ids(session, not_version="v2") == [first]
        assert archived_article_ids(session, ids=[second, 999]) == [second]
        assert archived_article_ids(session, outlet="other") == []
        (pointer,) = pointers(session, [first])
        assert (pointer.file, pointer.offset, pointer.length) == ("a.warc.gz", 100 * first, 90)
        assert [r.url for r in records_for(session, [second, first])] == ["https://baolangson.vn/a-1.html",
                                                                           "https://baolangson.vn/b-2.html"]
        kinds = sorted((r.kind, r.id) for r in references(session))
    assert [k for k, _ in kinds] == ["article", "article", "version", "version"]


def test_a_pointer_survives_a_crawl_with_the_archive_off(db: Database) -> None:
    article = archived(db, "https://baolangson.vn/a-1.html")
    with db.session() as session, session.begin():
        point(session, article, None, "v2")
    with db.read_session() as session:
        row = session.get(Article, article)
        assert row.archive_id is not None and row.extractor_version == "v2"


def test_reextraction_writes_only_changed_columns_and_a_marked_version(db: Database) -> None:
    article = archived(db, "https://baolangson.vn/a-1.html")
    same = record("https://baolangson.vn/a-1.html")
    with db.session() as session, session.begin():
        assert apply_reextraction(session, article, same, "v2", 0.5) == []
    changed = normalise(replace(record("https://baolangson.vn/a-1.html"), text="Một văn bản khác hẳn, mới.",
                                section="Kinh tế"))
    with db.session() as session, session.begin():
        names = apply_reextraction(session, article, changed, "v3", 0.5)
    assert set(names) == {"text", "content_hash", "search_text", "section", "section_key"}
    with db.read_session() as session:
        row = session.get(Article, article)
        assert (row.text, row.content_hash, row.extractor_version) == (
            "Một văn bản khác hẳn, mới.", content_hash("Một văn bản khác hẳn, mới."), "v3")
        assert row.title == same.title and row.published_at == same.published_at
        versions = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article)
                                   .order_by(ArticleVersion.version)).all()
    assert [(v.version, v.origin, v.extractor_version) for v in versions] == [(1, "fetch", "v1"),
                                                                             (2, "reextract", "v3")]
    assert versions[1].archive_id == versions[0].archive_id == row.archive_id
    assert "khác" in versions[1].diff
