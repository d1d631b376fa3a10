"""Export, the use case: write articles to a binary file as JSON lines, CSV or Parquet.

Each writer takes an open binary file and an iterable of (record, story) pairs and
returns how many it wrote, so a stream from ``storage.iter_articles`` (through
``with_stories``) goes out with flat memory; ``atomic_output`` makes the file appear
only when complete. Every row has the record's fields plus ``story_id`` and
``story_size``, as ``search`` and ``show`` give them (crawler.services.search.record_json).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from crawler.core.record import RECORD_FIELDS, ArticleRecord
from crawler.services.search import STORY_FIELDS, record_json
from storage.stories import Story, stories_with_sizes

PARQUET_BATCH = 5000
# Records whose stories are looked up in one query.
STORY_BATCH = 1000
Row = tuple[ArticleRecord, Story]


class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"
    warc = "warc"     # the archived pages themselves (crawler.services.archive.write_warc)


# ---- writers: each takes an open binary file and an iterable of records, returns the count


def with_stories(session: Session, records: Iterable[ArticleRecord]) -> Iterator[Row]:
    """Each record with its story, looked up STORY_BATCH records at a time."""
    batch: list[ArticleRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= STORY_BATCH:
            yield from _paired(session, batch)
            batch = []
    yield from _paired(session, batch)


def _paired(session: Session, batch: list[ArticleRecord]) -> Iterator[Row]:
    stories = stories_with_sizes(session, [r.id for r in batch if r.id is not None])
    for record in batch:
        yield record, stories.get(record.id or 0, Story(record.id or 0, 1))


def write_jsonl(out: IO[bytes], rows: Iterable[Row]) -> int:
    count = 0
    for record, story in rows:
        out.write(json.dumps(record_json(record, story), ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


def write_csv(out: IO[bytes], rows: Iterable[Row]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.DictWriter(text, fieldnames=[*RECORD_FIELDS, *STORY_FIELDS])
    writer.writeheader()
    count = 0
    for record, story in rows:
        writer.writerow({k: csv_cell(v) for k, v in record_json(record, story).items()})
        count += 1
    text.flush()
    text.detach()  # leave ``out`` open for the caller
    return count


def parquet_schema():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    vn_time = pa.timestamp("us", tz="+07:00")
    return pa.schema([
        ("id", pa.int64()), ("outlet", pa.string()), ("url", pa.string()), ("canonical_url", pa.string()),
        ("title", pa.string()), ("summary", pa.string()), ("text", pa.string()),
        ("authors", pa.list_(pa.string())), ("attribution", pa.string()),
        ("published_at", vn_time), ("published_at_source", pa.string()), ("updated_at", vn_time),
        ("section", pa.string()), ("tags", pa.list_(pa.string())), ("image_url", pa.string()),
        ("images", pa.list_(pa.struct([("url", pa.string()), ("caption", pa.string())]))),
        ("language", pa.string()), ("word_count", pa.int64()), ("content_hash", pa.string()),
        ("fetched_at", pa.timestamp("us", tz="UTC")), ("province", pa.string()),
        ("gone_at", pa.timestamp("us", tz="UTC")), ("story_id", pa.int64()), ("story_size", pa.int64()),
    ])


def _parquet_row(record: ArticleRecord, story: Story) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in RECORD_FIELDS}
    row["images"] = [{"url": image.url, "caption": image.caption} for image in record.images]
    row["story_id"], row["story_size"] = story.id, story.size
    return row


def write_parquet(out: IO[bytes], rows: Iterable[Row]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for record, story in rows:
            batch.append(_parquet_row(record, story))
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch.clear()
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


WRITERS = {ExportFormat.jsonl: write_jsonl, ExportFormat.csv: write_csv, ExportFormat.parquet: write_parquet}


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside ``path``, renamed onto it only if the block succeeds."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_cell(value: Any) -> Any:
    """Lists of names as ``a; b``; nested data (images) as JSON, so nothing is lost."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value
