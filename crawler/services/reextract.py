"""Re-extraction, the use case: read archived pages again with the current extractor.

No request is made: each article's page comes from its WARC record. Articles are
taken in id order, a chunk at a time; workers (a process pool when more than one)
read and extract, and this process writes each chunk in one transaction: only the
columns that changed, the extractor version on every article read, and a version
marked ``reextract`` where the text changed. An article already produced by this
extractor is skipped unless ``everything`` is asked, so a killed re-extraction
continues where it stopped.

A page the new extractor cannot read, or reads into something the validator would
drop, leaves the stored article as it is (counted under ``kept``).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from crawler.archive.extractor import extractor_version
from crawler.archive.warc import read_page
from crawler.core.record import ArticleRecord, normalise
from crawler.core.registry import Outlet, load_registry
from crawler.extraction import ExtractionError, extract_bytes
from crawler.settings import (
    PROVNEWS_MIN_WORDS,
    PROVNEWS_REEXTRACT_CHUNK,
    PROVNEWS_STORY_THRESHOLD,
)
from pipelines.validate import ValidatePipeline
from storage.archive import Pointer, apply_reextraction, archived_article_ids, pointers
from storage.engine import Database

# Dates a crawl took from a feed, sitemap or listing entry (``<route>:date``), not
# from the page: the archived page cannot give them again, so the stored one is passed in.
ROUTE_DATE_PREFIXES = ("feed:", "sitemap:", "listing:")


@dataclass(frozen=True)
class Extractor:
    """What reads a page: a module-level function shaped like ``extract_bytes`` (a
    process pool pickles it by name) and the version recorded on what it produces."""

    extract: Callable[..., ArticleRecord]
    version: str


def current_extractor() -> Extractor:
    return Extractor(extract_bytes, extractor_version())


@dataclass
class ReextractReport:
    selected: int = 0
    read: int = 0
    changed: int = 0
    versions: int = 0
    fields: Counter = field(default_factory=Counter)   # column name: articles where it changed
    kept: Counter = field(default_factory=Counter)     # reason: articles left as they were


@dataclass(frozen=True)
class Selection:
    outlet: str | None = None
    since: date | None = None
    until: date | None = None
    ids: tuple[int, ...] = ()
    everything: bool = False   # also articles this extractor already produced


# ---- the worker side: module-level state, set once per process by _init ------------------

_worker: dict[str, Any] = {}


def _init(archive_dir: str, sources: str | None, extract: Callable[..., ArticleRecord]) -> None:
    _worker.update(archive=Path(archive_dir), registry=load_registry(sources), extract=extract,
                   validator=ValidatePipeline(PROVNEWS_MIN_WORDS, None))


def _read_chunk(chunk: list[Pointer]) -> list[tuple[int, ArticleRecord | str]]:
    return [(pointer.article_id, _read_one(pointer)) for pointer in chunk]


def _read_one(pointer: Pointer) -> ArticleRecord | str:
    """The new record of one article, or the reason it stays as stored."""
    try:
        page = read_page(_worker["archive"], pointer.file, pointer.offset, pointer.length)
    except (OSError, ValueError) as exc:
        return f"unreadable:{type(exc).__name__}"
    if not page.digest_ok:
        return "digest_mismatch"
    outlet: Outlet | None = _worker["registry"].get(pointer.outlet or "")
    fallback = None
    if pointer.published_at and (pointer.published_at_source or "").startswith(ROUTE_DATE_PREFIXES):
        fallback = (pointer.published_at, pointer.published_at_source)
    try:
        record = _worker["extract"](page.body, page.url, content_type=page.header("Content-Type"),
                                    outlet=outlet, fallback_date=fallback)
    except ExtractionError as exc:
        return f"not_article:{exc.reason}"
    record = normalise(record)
    record.fetched_at = page.fetched_at
    problem = _worker["validator"].problem(record)
    return f"invalid:{problem}" if problem else record


# ---- the writing side ------------------------------------------------------------------


def reextract(database: Database, archive_dir: Path, selection: Selection, *, workers: int = 1,
              extractor: Extractor | None = None, sources: str | None = None, chunk: int = PROVNEWS_REEXTRACT_CHUNK,
              on_progress: Callable[[int, int], None] | None = None) -> ReextractReport:
    """Re-extract the selected archived articles, ``chunk`` per transaction;
    ``on_progress(done, total)`` after each chunk."""
    extractor = extractor or current_extractor()
    report = ReextractReport()
    with database.read_session() as session:
        ids = archived_article_ids(session, outlet=selection.outlet, since=selection.since, until=selection.until,
                                   ids=selection.ids, not_version=None if selection.everything else extractor.version)
    report.selected = len(ids)
    chunks = [ids[start:start + chunk] for start in range(0, len(ids), chunk)]
    for results in _results(database, chunks, archive_dir, sources, extractor, workers):
        kept, changes = database.retry_locked(lambda results=results: _write(database, results, extractor.version))
        report.kept.update(kept)
        for changed in changes:
            report.changed += 1
            report.fields.update(changed)
            report.versions += "content_hash" in changed
        report.read += len(results)
        if on_progress is not None:
            on_progress(report.read, report.selected)
    return report


def _results(database: Database, chunks: list[list[int]], archive_dir: Path, sources: str | None,
             extractor: Extractor, workers: int) -> Iterator[list[tuple[int, ArticleRecord | str]]]:
    """Each chunk's new records, in order; pointers are read just before their chunk."""
    initargs = (str(archive_dir), sources, extractor.extract)
    tasks = (_pointers(database, chunk) for chunk in chunks)
    if workers <= 1:
        _init(*initargs)
        yield from map(_read_chunk, tasks)
        return
    with ProcessPoolExecutor(workers, initializer=_init, initargs=initargs) as pool:
        # A bounded window in order: Executor.map would submit every chunk at once and
        # hold all their records until written.
        window: deque[Future] = deque()
        for task in tasks:
            window.append(pool.submit(_read_chunk, task))
            if len(window) > 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def _pointers(database: Database, chunk: list[int]) -> list[Pointer]:
    with database.read_session() as session:
        return pointers(session, chunk)


def _write(database: Database, results: list[tuple[int, ArticleRecord | str]],
           version: str) -> tuple[Counter, list[list[str]]]:
    """One chunk in one transaction: the reasons of articles kept, the changed columns of the others."""
    kept: Counter = Counter()
    changes = []
    with database.session() as session, session.begin():
        for article_id, outcome in results:
            if isinstance(outcome, str):
                kept[outcome] += 1
                continue
            changed = apply_reextraction(session, article_id, outcome, version, PROVNEWS_STORY_THRESHOLD)
            if changed:
                changes.append(changed)
    return kept, changes
