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
    ``WARC-Payload-Digest`` (``sha1:<base32>``)."""

    file: str
    offset: int
    length: int
    record_id: str
    digest: str
    url: str
    fetched_at: datetime
    status: int
