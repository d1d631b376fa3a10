"""Retention: ``archive prune --keep 90d|3v`` drops the pages the policy lets go and
keeps every article's current page, with every remaining pointer valid."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.archive.warc import ArchiveWriter
from crawler.core.record import ArticleRecord, normalise
from crawler.services.archive import Keep, prune, verify
from storage.archive import add_record, point
from storage.database import open_database
from storage.engine import Database
from storage.history import add_version
from storage.models import ArchiveRecord, Article, ArticleVersion
from storage.queries import make_url_key, upsert_article

NOW = datetime.now(UTC)


def build(tmp_path: Path) -> tuple[Database, Path]:
    """2 articles with 3 versions each, each version read from its own page; the
    first versions were fetched 100 days ago, the others today."""
    database = open_database(f"sqlite:///{tmp_path / 'provnews.db'}")
    archive = tmp_path / "archive"
    writer = ArchiveWriter(archive, 10**9)
    for n in range(2):
        url = f"https://baolangson.vn/bai-{n}-500000{n}.html"
        for version in range(3):
            fetched = NOW - timedelta(days=100) if version == 0 else NOW
            text = f"Bài {n}, lần sửa {version}. " + "Văn bản dài. " * 30
            ref = writer.write(url, 200, [("Content-Type", "text/html")], f"<p>{text}</p>".encode(), fetched)
            record = normalise(ArticleRecord(url=url, outlet="baolangson", title="Bài", text=text, fetched_at=fetched))
            with database.session() as session, session.begin():
                result = upsert_article(session, record, make_url_key(url))
                archive_id = add_record(session, ref)
                point(session, result.id, archive_id, "v1")
                add_version(session, result.id, record.title, record.text, record.content_hash, fetched,
                            archive_id=archive_id)
    writer.close()
    return database, archive


def pointed(database: Database) -> tuple[set[int], list[int | None]]:
    with database.read_session() as session:
        records = set(session.scalars(select(ArchiveRecord.id)))
        versions = list(session.scalars(select(ArticleVersion.archive_id).order_by(ArticleVersion.id)))
    return records, versions


@pytest.mark.parametrize(("keep", "left"), [("1v", 2), ("2v", 4), ("30d", 4), ("365d", 6)])
def test_prune_keeps_what_the_policy_says(tmp_path: Path, keep: str, left: int) -> None:
    database, archive = build(tmp_path)
    before = sum(f.stat().st_size for f in archive.glob("*.warc.gz"))
    report = prune(database, archive, Keep.parse(keep), quiet_seconds=0)
    records, versions = pointed(database)
    assert len(records) == left and report.dropped == 6 - left
    with database.read_session() as session:
        current = set(session.scalars(select(Article.archive_id)))
        result = verify(session, archive)
    assert current <= records and len(current) == 2
    assert not result.problems and result.pointers == 2 + left
    # Newest versions keep their page; older ones (also the oldest by date) lose it first.
    assert [v is not None for v in versions] == [i % 3 >= 3 - left // 2 for i in range(6)]
    after = sum(f.stat().st_size for f in archive.glob("*.warc.gz"))
    assert (after < before) == (left < 6)
    files = [str(f) for f in archive.glob("*.warc.gz")]
    assert subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", *files]).returncode == 0
    database.close()


def test_dry_run_changes_nothing_and_a_live_file_is_left_alone(tmp_path: Path) -> None:
    database, archive = build(tmp_path)
    files = sorted(archive.glob("*"))
    report = prune(database, archive, Keep.parse("1v"), dry_run=True, quiet_seconds=0)
    assert report.dropped == 4 and sorted(archive.glob("*")) == files and len(pointed(database)[0]) == 6
    assert prune(database, archive, Keep.parse("1v")).dropped == 0  # written just now: may be a crawl's
    database.close()


@pytest.mark.parametrize("text", ["", "3", "0v", "2w", "days"])
def test_a_bad_policy_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="--keep"):
        Keep.parse(text)
