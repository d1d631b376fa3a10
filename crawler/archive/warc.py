"""The raw archive: fetched pages as WARC records (warcio), one gzip member each.

Writing is append-only into files of the archive directory, rotated by size. A
file being written has a sibling ``<name>.writing`` marker holding an exclusive
``flock``: a writer killed mid-record leaves its marker unlocked, and ``recover``
cuts that file back to its last complete record, so every file reads to its end
in any WARC tool. ``sync`` (flush + fsync) is called before the database commits
pointers to what was written: a pointer never names bytes the disk may lack.

The HTTP body is kept as the crawler saw it after decompression; the headers are
rewritten to match (no ``Content-Encoding`` or ``Transfer-Encoding``, the real
``Content-Length``), so a replay tool reads the page that was extracted. The request
chain of redirects is the ``WARC-Provnews-Redirects`` field (space separated, first
asked first); the URL asked for is ``WARC-Provnews-Request-URI``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import io
import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.core.archive import ArchiveRef

SUFFIX = ".warc.gz"
MARKER = ".writing"
DEFAULT_DIR_NAME = "provnews-archive"
REDIRECTS_FIELD = "WARC-Provnews-Redirects"
REQUEST_FIELD = "WARC-Provnews-Request-URI"
# Headers that described the bytes on the wire, not the decoded body we keep.
_WIRE_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def default_directory(database_url: str) -> Path:
    """Beside the SQLite file; for a server database (or an in-memory one), in the
    user's data directory (``$XDG_DATA_HOME/provnews/archive``)."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and ":memory:" not in database_url:
        return Path(database_url[len(prefix):].split("?", 1)[0]).resolve().parent / DEFAULT_DIR_NAME
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "provnews" / "archive"


@dataclass
class ArchivedPage:
    """A response as read back from the archive."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime
    record_id: str
    digest: str
    redirects: list[str]
    request_url: str | None
    # The payload as stored hashes to the digest the record states.
    digest_ok: bool

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


class ArchiveWriter:
    """Appends response records to the current file of ``directory``; a new file per
    writer and whenever the current one passes ``max_bytes``."""

    def __init__(self, directory: Path, max_bytes: int):
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._file: IO[bytes] | None = None
        self._marker: IO[bytes] | None = None
        self._name = ""
        self._dirty = False

    def write(self, url: str, status: int, headers: list[tuple[str, str]], body: bytes, fetched_at: datetime,
              redirects: list[str] | None = None, request_url: str | None = None) -> ArchiveRef:
        """Append one response record; its reference (durable only after ``sync``)."""
        handle = self._current()
        offset = handle.tell()
        extra = {"WARC-Date": warc_date(fetched_at)}
        if redirects:
            extra[REDIRECTS_FIELD] = " ".join(redirects)
        if request_url and request_url != url:
            extra[REQUEST_FIELD] = request_url
        writer = WARCWriter(handle, gzip=True)
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                           http_headers=_http_headers(status, headers, len(body)),
                                           warc_headers_dict=extra)
        writer.write_record(record)
        # Out of our buffer into the OS's: a crawl killed now leaves the whole record,
        # which the next crawl reuses instead of downloading the page again.
        handle.flush()
        self._dirty = True
        length = handle.tell() - offset
        ref = ArchiveRef(self._name, offset, length, record.rec_headers.get_header("WARC-Record-ID"),
                         record.rec_headers.get_header("WARC-Payload-Digest"), url, fetched_at, status)
        if handle.tell() >= self.max_bytes:
            self.close()
        return ref

    def append_raw(self, member: bytes) -> tuple[str, int]:
        """Append one record's gzip member as it is (for compaction); (file, offset)."""
        handle = self._current()
        offset = handle.tell()
        handle.write(member)
        self._dirty = True
        return self._name, offset

    def sync(self) -> None:
        """Everything written so far is on disk."""
        if self._file is not None and self._dirty:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._dirty = False

    def close(self) -> None:
        """Sync and close the current file; it is complete, so its marker goes."""
        if self._file is None:
            return
        self.sync()
        self._file.close()
        marker = self._marker
        self._file = self._marker = None
        (self.directory / (self._name + MARKER)).unlink(missing_ok=True)
        if marker is not None:
            marker.close()

    def _current(self) -> IO[bytes]:
        if self._file is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            self._name = f"provnews-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
            self._marker = open(self.directory / (self._name + MARKER), "wb")  # noqa: SIM115 - held open for its lock
            fcntl.flock(self._marker.fileno(), fcntl.LOCK_EX)
            self._file = open(self.directory / self._name, "ab")  # noqa: SIM115 - closed by close()
            _fsync_directory(self.directory)  # the new name survives a power cut too
        return self._file


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def warc_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _http_headers(status: int, headers: list[tuple[str, str]], size: int) -> StatusAndHeaders:
    kept = [(k, v) for k, v in headers if k.lower() not in _WIRE_HEADERS]
    return StatusAndHeaders(f"{status} {_reason(status)}", [*kept, ("Content-Length", str(size))],
                            protocol="HTTP/1.1")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# ---- recovery -----------------------------------------------------------------------


def recover(directory: Path) -> list[str]:
    """Cut every file whose writer died back to its last complete record; the names fixed.

    A marker whose lock can be taken has no live writer. Only bytes past the last
    complete gzip member go, and no database pointer names them (pointers are
    committed after ``sync``, and a member is complete before it is synced)."""
    fixed = []
    for marker_path in sorted(Path(directory).glob(f"*{SUFFIX}{MARKER}")):
        with open(marker_path, "rb") as marker:
            try:
                fcntl.flock(marker.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live writer
            path = marker_path.with_name(marker_path.name[:-len(MARKER)])
            if path.exists():
                _truncate_to_complete(path)
            marker_path.unlink()
            fixed.append(path.name)
    return fixed


def _truncate_to_complete(path: Path) -> None:
    data = path.read_bytes()
    end = complete_prefix(data)
    if end < len(data):
        with open(path, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())


def complete_prefix(data: bytes) -> int:
    """Bytes of ``data`` made of whole gzip members that each hold a WARC record."""
    end = 0
    while end < len(data):
        inflater = zlib.decompressobj(wbits=31)
        try:
            head = inflater.decompress(data[end:], 16)
        except zlib.error:
            break
        if not head.startswith(b"WARC/"):
            break
        try:
            while not inflater.eof and inflater.unconsumed_tail:
                inflater.decompress(inflater.unconsumed_tail, 1 << 20)
        except zlib.error:
            break
        if not inflater.eof:
            break
        end = len(data) - len(inflater.unused_data)
    return end


# ---- reading --------------------------------------------------------------------------


def raw_record(directory: Path, file: str, offset: int, length: int) -> bytes:
    """The gzip member of one record, byte for byte (for export)."""
    path = Path(directory) / file
    if Path(file).name != file:
        raise ValueError(f"archive file name {file!r} is not a plain name")
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(length)
    if len(data) != length:
        raise ValueError(f"{file} ends before offset {offset} + {length}")
    return data


def read_page(directory: Path, file: str, offset: int, length: int) -> ArchivedPage:
    """The response record at (file, offset, length)."""
    pages = list(iter_pages(io.BytesIO(raw_record(directory, file, offset, length))))
    if len(pages) != 1:
        raise ValueError(f"{file}@{offset} holds no response record")
    return pages[0][1]


def archived_refs(directory: Path, name: str) -> Iterator[tuple[ArchiveRef, str]]:
    """(reference, URL asked for) of every response record of one of our files."""
    path = Path(directory) / name
    with open(path, "rb") as handle:
        pages = list(iter_pages(handle))
    ends = [offset for offset, _ in pages[1:]] + [path.stat().st_size]
    for (offset, page), end in zip(pages, ends, strict=True):
        yield (ArchiveRef(name, offset, end - offset, page.record_id, page.digest, page.url, page.fetched_at,
                          page.status), page.request_url or page.url)


def iter_pages(stream: IO[bytes]) -> Iterator[tuple[int, ArchivedPage]]:
    """Every response record of a WARC stream (ours or another crawler's), with its offset."""
    records = ArchiveIterator(stream)
    for record in records:
        if record.rec_type != "response" or record.http_headers is None:
            continue
        raw = record.raw_stream.read()
        fields = record.rec_headers
        stated = fields.get_header("WARC-Payload-Digest")
        date = fields.get_header("WARC-Date") or "1970-01-01T00:00:00Z"
        yield records.get_record_offset(), ArchivedPage(
            url=fields.get_header("WARC-Target-URI").strip("<>"),
            status=int(record.http_headers.get_statuscode() or 0),
            headers=list(record.http_headers.headers),
            body=_decoded(raw, record.http_headers),
            fetched_at=datetime.fromisoformat(date.replace("Z", "+00:00")),
            record_id=fields.get_header("WARC-Record-ID") or "",
            digest=stated or payload_digest(raw),
            redirects=(fields.get_header(REDIRECTS_FIELD) or "").split(),
            request_url=fields.get_header(REQUEST_FIELD),
            digest_ok=stated is None or _digest_matches(stated, raw),
        )


def _digest_matches(stated: str, payload: bytes) -> bool:
    """``sha1:`` digests in base32 (ours, wget's) or hex; other algorithms by hashlib name."""
    algorithm, _, value = stated.partition(":")
    try:
        digest = hashlib.new(algorithm.lower().replace("-", ""), payload).digest()
    except ValueError:
        return False
    return value.upper() in (base64.b32encode(digest).decode("ascii"), digest.hex().upper())


def _decoded(raw: bytes, http_headers: StatusAndHeaders) -> bytes:
    """The body a browser would read: chunked framing and Content-Encoding undone
    (another crawler's WARC keeps the bytes as they came over the wire)."""
    encoding = (http_headers.get_header("content-encoding") or "").lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if (http_headers.get_header("transfer-encoding") or "").lower() == "chunked":
        return ChunkedDataReader(io.BytesIO(raw), decomp_type=encoding).read()
    return BufferedReader(io.BytesIO(raw), decomp_type=encoding).read() if encoding else raw
