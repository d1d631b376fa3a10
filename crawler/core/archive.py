"""Where a fetched page is kept: a record of a WARC file in the raw archive.

Framework-free so the record, storage and the archive code share one type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ArchiveRef:
    """One WARC record: ``file`` (a name inside the archive directory), the byte
    ``offset`` and ``length`` of its gzip member, its ``WARC-Record-ID`` and its
    ``WARC-Payload-Digest`` (``sha1:<base32>``). ``row_id``: its ``archive_records`` row,
    when it has one already (a page a killed crawl fetched, reused by the next)."""

    file: str
    offset: int
    length: int
    record_id: str
    digest: str
    url: str
    fetched_at: datetime
    status: int
    row_id: int | None = None
