"""The WARC writer and reader: records round-trip, rotate, and a killed writer's file is
cut back to its last complete record."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.warc import (
    MARKER,
    ArchiveWriter,
    complete_prefix,
    default_directory,
    iter_pages,
    read_page,
    recover,
)

WHEN = datetime(2026, 12, 3, 9, 0, 0, 123000, tzinfo=UTC)
PAGE = "<html><body><h1>Lạng Sơn</h1></body></html>".encode()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"), ("Content-Length", "9")]


def write_one(directory: Path, body: bytes = PAGE, max_bytes: int = 10**9) -> tuple[ArchiveWriter, object]:
    writer = ArchiveWriter(directory, max_bytes)
    ref = writer.write("https://baolangson.vn/a-5000001.html", 200, HEADERS, body, WHEN,
                       redirects=["https://baolangson.vn/old-5000001.html"], request_url="https://baolangson.vn/old-5000001.html")
    return writer, ref


def test_a_record_reads_back_as_written(tmp_path: Path) -> None:
    writer, ref = write_one(tmp_path)
    writer.close()
    page = read_page(tmp_path, ref.file, ref.offset, ref.length)
    assert page.body == PAGE and page.status == 200 and page.url == ref.url
    assert page.fetched_at == WHEN and page.digest == ref.digest and page.digest_ok
    assert page.redirects == ["https://baolangson.vn/old-5000001.html"]
    assert page.request_url == "https://baolangson.vn/old-5000001.html"
    # The decoded body is kept, so the wire headers describing it are rewritten.
    assert page.header("Content-Encoding") is None and page.header("Content-Length") == str(len(PAGE))
    assert page.record_id == ref.record_id.strip() and ref.record_id.startswith("<urn:uuid:")
    assert not list(tmp_path.glob(f"*{MARKER}"))


def test_records_are_separate_gzip_members_that_warcio_reads(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, 10**9)
    refs = [writer.write(f"https://x.vn/{i}", 200, [], PAGE + bytes([i]), WHEN) for i in range(3)]
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        offsets = []
        for record in iterator:
            offsets.append(iterator.get_record_offset())
            record.content_stream().read()
    assert offsets == [r.offset for r in refs]
    assert refs[1].offset == refs[0].offset + refs[0].length


def test_files_rotate_past_the_size_limit(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, max_bytes=1)
    refs = [writer.write(f"https://x.vn/{i}", 200, [], PAGE, WHEN) for i in range(3)]
    writer.close()
    assert len({r.file for r in refs}) == 3 and all(r.offset == 0 for r in refs)


def test_a_changed_byte_fails_the_digest(tmp_path: Path) -> None:
    writer, ref = write_one(tmp_path, body=b"A" * 500)
    writer.close()
    pages = list(iter_pages(open(tmp_path / ref.file, "rb")))
    assert pages[0][1].digest_ok
    # Rewrite the record with a different payload but the original digest header.
    import gzip

    raw = gzip.decompress((tmp_path / ref.file).read_bytes()).replace(b"A" * 500, b"B" * 500)
    (tmp_path / ref.file).write_bytes(gzip.compress(raw))
    page = read_page(tmp_path, ref.file, 0, (tmp_path / ref.file).stat().st_size)
    assert page.digest == ref.digest and not page.digest_ok


def test_complete_prefix_stops_before_a_torn_record(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, 10**9)
    refs = [writer.write(f"https://x.vn/{i}", 200, [], PAGE * 50, WHEN) for i in range(2)]
    writer.close()
    data = (tmp_path / refs[0].file).read_bytes()
    assert complete_prefix(data) == len(data)
    for cut in (refs[1].offset + 1, refs[1].offset + refs[1].length // 2, len(data) - 1):
        assert complete_prefix(data[:cut]) == refs[1].offset
    assert complete_prefix(data + b"garbage") == len(data)


KILLED_WRITER = """
import os, sys
from datetime import UTC, datetime
from pathlib import Path
from crawler.archive.warc import ArchiveWriter
w = ArchiveWriter(Path(sys.argv[1]), 10**9)
ref = w.write("https://x.vn/1", 200, [], b"<p>one</p>" * 100, datetime.now(UTC))
w.sync()
print(ref.file, ref.offset, ref.length, flush=True)
w._current().write(b"\\x1f\\x8b\\x08\\x00half a record")   # torn by the kill
w._current().flush()
os._exit(9)
"""


def test_recover_cuts_a_killed_writers_file_and_leaves_a_live_one(tmp_path: Path) -> None:
    live = ArchiveWriter(tmp_path, 10**9)
    live.write("https://x.vn/live", 200, [], PAGE, WHEN)
    live.sync()
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)], capture_output=True, text=True,
                          cwd=Path(__file__).parents[3])
    name, offset, length = done.stdout.split()
    assert recover(tmp_path) == [name]
    assert (tmp_path / name).stat().st_size == int(offset) + int(length)
    assert read_page(tmp_path, name, int(offset), int(length)).digest_ok
    assert (tmp_path / (live._name + MARKER)).exists()  # its writer holds the lock
    live.close()
    assert recover(tmp_path) == []


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:////data/news/provnews.db", Path("/data/news/provnews-archive")),
    ("postgresql+psycopg://u@h/db", Path("/srv/data/provnews/archive")),
])
def test_the_archive_sits_beside_the_sqlite_file(url: str, expected: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_DATA_HOME", "/srv/data")
    assert default_directory(url) == expected
