"""Export, the use case: write articles to a binary file as JSON lines, CSV or Parquet.

Each writer takes an open binary file and an iterable of records and returns how many
it wrote, so a stream from ``storage.iter_articles`` goes out with flat memory;
``atomic_output`` makes the file appear only when complete.
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

from crawler.core.record import RECORD_FIELDS, ArticleRecord

PARQUET_BATCH = 5000
class ExportFormat(str, Enum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


# ---- writers: each takes an open binary file and an iterable of records, returns the count


def write_jsonl(out: IO[bytes], records: Iterable[ArticleRecord]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record.as_json(), ensure_ascii=False).encode("utf-8") + b"\n")
        count += 1
    return count


def write_csv(out: IO[bytes], records: Iterable[ArticleRecord]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.DictWriter(text, fieldnames=list(RECORD_FIELDS))
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({k: csv_cell(v) for k, v in record.as_json().items()})
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
        ("gone_at", pa.timestamp("us", tz="UTC")),
    ])


def _parquet_row(record: ArticleRecord) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in RECORD_FIELDS}
    row["images"] = [{"url": image.url, "caption": image.caption} for image in record.images]
    return row


def write_parquet(out: IO[bytes], records: Iterable[ArticleRecord]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(_parquet_row(record))
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
