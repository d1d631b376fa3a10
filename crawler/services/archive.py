"""The raw archive, the use cases: find an article's page, check every pointer, copy
records out as a WARC file, and measure what the archive costs on disk."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from crawler.archive.warc import SUFFIX, ArchivedPage, raw_record, read_page
from storage.archive import archive_size, article_record, records_for, references
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


