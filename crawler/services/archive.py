"""The raw archive, the use cases: find an article's page, check every pointer, copy
records out as a WARC file, and measure what the archive costs on disk."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.archive.warc import (
    MARKER,
    SUFFIX,
    ArchivedPage,
    ArchiveWriter,
    raw_record,
    read_page,
    recover,
)
from storage.archive import (
    archive_size,
    article_record,
    drop_records,
    move_record,
    prunable,
    records_for,
    records_in_files,
    references,
)
from storage.engine import Database
from storage.models import ArchiveRecord
from storage.queries import get_article


def page_of(session: Session, archive_dir: Path, id_or_url: int | str) -> ArchivedPage | None:
    """The archived page of the article with this id or URL; None when there is none."""
    record = get_article(session, id_or_url)
    pointer = article_record(session, record.id) if record and record.id else None
    if pointer is None:
        return None
    return read_page(archive_dir, pointer.file, pointer.offset, pointer.length)


@dataclass
class Verification:
    pointers: int = 0
    problems: Counter = field(default_factory=Counter)       # reason: pointers
    examples: list[str] = field(default_factory=list)         # the first few, for the message


def verify(session: Session, archive_dir: Path, examples: int = 10) -> Verification:
    """Every article and version pointer: its record row exists, its bytes are on disk
    and hold one response record with that id, URL and digest, and the payload hashes
    to that digest."""
    result = Verification()
    for ref in references(session):
        result.pointers += 1
        problem = _problem(archive_dir, ref.record)
        if problem:
            result.problems[problem] += 1
            if len(result.examples) < examples:
                result.examples.append(f"{ref.kind} {ref.id}: {problem}")
    return result


def _problem(archive_dir: Path, row: ArchiveRecord | None) -> str | None:
    if row is None:
        return "no_record_row"
    try:
        page = read_page(archive_dir, row.file, row.offset, row.length)
    except FileNotFoundError:
        return "file_missing"
    except (OSError, ValueError, EOFError):
        return "unreadable"
    if page.record_id != row.record_id or page.url != row.url:
        return "other_record"
    if page.digest != row.digest or not page.digest_ok:
        return "digest_mismatch"
    return None


def write_warc(out: IO[bytes], session: Session, archive_dir: Path, article_ids: Iterable[int],
               batch: int = 500) -> int:
    """The archived page of each article, as the very gzip members of the archive
    (concatenated members are a valid WARC file); the number written."""
    count = 0
    ids = iter(article_ids)
    while chunk := [i for _, i in zip(range(batch), ids)]:
        for row in records_for(session, chunk):
            out.write(raw_record(archive_dir, row.file, row.offset, row.length))
            count += 1
    return count


@dataclass
class ArchiveSize:
    records: int
    record_bytes: int
    articles: int
    files: int
    file_bytes: int

    @property
    def bytes_per_article(self) -> float:
        return self.file_bytes / self.articles if self.articles else 0.0


def size(session: Session, archive_dir: Path) -> ArchiveSize:
    records, record_bytes, articles = archive_size(session)
    files = sorted(Path(archive_dir).glob(f"*{SUFFIX}"))
    return ArchiveSize(records, record_bytes, articles, len(files), sum(f.stat().st_size for f in files))


@dataclass(frozen=True)
class Keep:
    """A retention policy: ``90d`` keeps pages fetched in the last 90 days, ``3v`` the
    pages of each article's 3 newest versions; the page an article's fields were read
    from is always kept, so every article can be re-extracted."""

    days: int | None = None
    versions: int | None = None

    @classmethod
    def parse(cls, text: str) -> Keep:
        match = re.fullmatch(r"(\d+)\s*(d|days?|v|versions?)", text.strip().lower())
        if not match or int(match[1]) < 1:
            raise ValueError(f"--keep {text!r}: give days (90d) or versions (3v), at least 1")
        number = int(match[1])
        return cls(days=number) if match[2].startswith("d") else cls(versions=number)


@dataclass
class PruneReport:
    dropped: int = 0
    files_rewritten: int = 0
    bytes_before: int = 0
    bytes_after: int = 0


# A file written to this recently may hold records whose pointers a crawl is about to
# commit (a rotated file has no marker): it is left for a later prune.
QUIET_SECONDS = 600


def prune(database: Database, archive_dir: Path, keep: Keep, *, dry_run: bool = False,
          quiet_seconds: float = QUIET_SECONDS) -> PruneReport:
    """Drop the records ``keep`` lets go by rewriting each file that holds one.

    Per file: the kept records are copied into a new file and synced, then one
    transaction moves their pointers and forgets the dropped ones, then the old file
    goes. Killed anywhere, every committed pointer still names whole bytes (at worst a
    file nothing points to is left behind)."""
    recover(archive_dir)
    with database.read_session() as session:
        older = datetime.now(UTC) - timedelta(days=keep.days) if keep.days else None
        drop = prunable(session, older_than=older, keep_versions=keep.versions)
        files = {file for record_id, file in session.execute(select(ArchiveRecord.id, ArchiveRecord.file))
                 if record_id in drop}
        rows = records_in_files(session, sorted(files))
    report = PruneReport()
    by_file: dict[str, list] = {}
    for row in rows:
        by_file.setdefault(row.file, []).append(row)
    for file, records in by_file.items():
        path = archive_dir / file
        if (archive_dir / (file + MARKER)).exists() or time.time() - path.stat().st_mtime < quiet_seconds:
            continue
        gone = [r.id for r in records if r.id in drop]
        report.dropped += len(gone)
        report.files_rewritten += 1
        report.bytes_before += path.stat().st_size
        if dry_run:
            report.bytes_after += sum(r.length for r in records if r.id not in drop)
            continue
        report.bytes_after += _rewrite(database, archive_dir, records, set(gone))
        path.unlink()
    return report


def _rewrite(database: Database, archive_dir: Path, records: list[ArchiveRecord], gone: set[int]) -> int:
    """Copy the kept records to a new file, then commit their new places; its size."""
    writer = ArchiveWriter(archive_dir, max_bytes=1 << 62)
    moves = {r.id: writer.append_raw(raw_record(archive_dir, r.file, r.offset, r.length))
             for r in records if r.id not in gone}
    written = sum(r.length for r in records if r.id not in gone)
    writer.close()

    def commit() -> None:
        with database.session() as session, session.begin():
            for record_id, (file, offset) in moves.items():
                move_record(session, record_id, file, offset)
            drop_records(session, sorted(gone))

    database.retry_locked(commit)
    return written
