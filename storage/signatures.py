"""Signatures in SQL: LSH band lookups that assign a story to each stored article.

Two tables (migration 0003): ``signatures`` (one row per article) and
``signature_bands`` (``BANDS`` rows per article, primary key (band, hash,
article_id), so the band lookup is an index probe whatever the store's size).
The functions take a SQLAlchemy ``Connection`` or ``Session`` and never commit:
the caller owns the transaction. The MinHash arithmetic is ``crawler.core.similarity``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select

from crawler.core.similarity import (
    BANDS,
    DEFAULT_THRESHOLD,
    MAX_CANDIDATES,
    MIN_WORDS,
    bands,
    estimate_similarity,
    minhash,
    pack,
    shingles,
    strip_known,
    unpack,
)
from storage.models import Base, Signature, SignatureBand

signatures = Signature.__table__
signature_bands = SignatureBand.__table__


def create_tables(bind: Any) -> None:
    """Just the similarity tables (tests and the benchmark use them without articles)."""
    Base.metadata.create_all(bind, tables=[signatures, signature_bands])


def _candidates_query(n_bands: int):  # type: ignore[no-untyped-def]
    """SELECT article_id ... WHERE (band=:b0 AND hash=:h0) OR ...: one index probe per band.

    Built once with bind parameters: composing 2 x 40 comparisons per call cost
    more than the query itself. (A row-value ``(band, hash) IN (...)`` is no
    substitute: SQLite answers it with a full scan.)
    """
    shared = func.count().label("shared")
    band, value = signature_bands.c.band, signature_bands.c.hash
    return (
        select(signature_bands.c.article_id, shared)
        .where(or_(*(and_(band == bindparam(f"b{i}"), value == bindparam(f"h{i}")) for i in range(n_bands))))
        .group_by(signature_bands.c.article_id)
        .order_by(shared.desc(), signature_bands.c.article_id)
        .limit(bindparam("limit"))
    )


_CANDIDATES = _candidates_query(BANDS)


def find_candidates(
    conn: Any, band_hashes: Sequence[tuple[int, int]], *, exclude: int | None = None, limit: int = MAX_CANDIDATES
) -> list[int]:
    """Article ids sharing at least one band, most shared bands first.

    One index probe per band on the (band, hash) primary key; ``limit`` bounds
    the work when a bucket is crowded (e.g. many copies of one story).
    """
    if not band_hashes:
        return []
    stmt = _CANDIDATES if len(band_hashes) == BANDS else _candidates_query(len(band_hashes))
    params: dict[str, int] = {"limit": limit + 1}
    for i, (band, value) in enumerate(band_hashes):
        params[f"b{i}"], params[f"h{i}"] = band, value
    ids = [row.article_id for row in conn.execute(stmt, params) if row.article_id != exclude]
    return ids[:limit]


def forget(conn: Any, article_id: int) -> None:
    """Remove an article's signature and bands (before re-signing a revision)."""
    conn.execute(delete(signature_bands).where(signature_bands.c.article_id == article_id))
    conn.execute(delete(signatures).where(signatures.c.article_id == article_id))


def story_of(conn: Any, article_id: int) -> int | None:
    return conn.execute(
        select(signatures.c.story_id).where(signatures.c.article_id == article_id)
    ).scalar_one_or_none()


def best_match(
    conn: Any, sig: Sequence[int], band_hashes: Sequence[tuple[int, int]], threshold: float,
    *, exclude: int | None = None,
) -> tuple[int, float] | None:
    """(story_id, estimated similarity) of the most similar stored article, if >= threshold.

    Ties go to the oldest story (the smallest id), so the choice is deterministic.
    """
    candidates = find_candidates(conn, band_hashes, exclude=exclude)
    if not candidates:
        return None
    rows = conn.execute(
        select(signatures.c.story_id, signatures.c.minhash).where(signatures.c.article_id.in_(candidates))
    ).all()
    scored = sorted(((estimate_similarity(sig, unpack(r.minhash)), -r.story_id) for r in rows), reverse=True)
    if scored and scored[0][0] >= threshold:
        return -scored[0][1], scored[0][0]
    return None


def assign_story(
    conn: Any,
    article_id: int,
    text: str,
    threshold: float = DEFAULT_THRESHOLD,
    *,
    min_words: int = MIN_WORDS,
    ignore: Iterable[str] = (),
) -> int | None:
    """Store the article's signature and return its story id.

    The story is that of the most similar stored article whose estimated
    similarity is at least ``threshold``; otherwise a new story, numbered
    ``article_id``. Texts of fewer than ``min_words`` words (after dropping the
    ``ignore`` paragraphs, e.g. an outlet's known footer) get no signature and
    no story: None. Calling it again for the same article (a revision) replaces
    its signature. Does not commit.
    """
    forget(conn, article_id)
    text = strip_known(text, ignore)
    if len(text.split()) < min_words:
        return None
    shingle_set = shingles(text)
    sig = minhash(shingle_set)
    band_hashes = bands(sig)
    match = best_match(conn, sig, band_hashes, threshold, exclude=article_id)
    story = match[0] if match else article_id
    conn.execute(insert(signatures).values(
        article_id=article_id, story_id=story, shingles=len(shingle_set), minhash=pack(sig)
    ))
    conn.execute(insert(signature_bands), [
        {"band": band, "hash": value, "article_id": article_id} for band, value in band_hashes
    ])
    return story


def assign_stories(
    conn: Any,
    items: Sequence[tuple[int, str]],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    min_words: int = MIN_WORDS,
) -> dict[int, int | None]:
    """``assign_story`` for a batch of (article id, text), as if called in order: each
    article may join the story of one stored before it or earlier in the batch.

    A handful of statements whatever the batch's size: the old signatures deleted, the
    candidates of every article found with one band probe per band, their MinHashes
    read, the new signatures and bands inserted. {article id: story id or None}.
    """
    ids = [article_id for article_id, _ in items]
    if not ids:
        return {}
    conn.execute(delete(signature_bands).where(signature_bands.c.article_id.in_(ids)))
    conn.execute(delete(signatures).where(signatures.c.article_id.in_(ids)))
    signed = {}
    for article_id, text in items:
        if len(text.split()) >= min_words:
            shingle_set = shingles(text)
            sig = minhash(shingle_set)
            signed[article_id] = (len(shingle_set), sig, bands(sig))
    stored_bands = _stored_band_owners(conn, {pair for _, _, pairs in signed.values() for pair in pairs})
    # Articles of the batch only push stored ones down the ranking: a stored article
    # that ranks for some article is among its candidates from the stored bands alone.
    known = {c for article_id, (_, _, pairs) in signed.items()
             for c in _ranked_candidates(pairs, stored_bands, article_id)}
    minhashes = {row.article_id: (row.story_id, unpack(row.minhash)) for row in conn.execute(
        select(signatures.c.article_id, signatures.c.story_id, signatures.c.minhash)
        .where(signatures.c.article_id.in_(known)))} if known else {}
    stories: dict[int, int | None] = dict.fromkeys(ids)
    for article_id, (_, sig, pairs) in signed.items():
        scored = sorted(((estimate_similarity(sig, minhashes[c][1]), -minhashes[c][0])
                         for c in _ranked_candidates(pairs, stored_bands, article_id) if c in minhashes),
                        reverse=True)
        story = -scored[0][1] if scored and scored[0][0] >= threshold else article_id
        stories[article_id] = story
        minhashes[article_id] = (story, sig)  # later articles of the batch see it
        for pair in signed[article_id][2]:
            stored_bands.setdefault(pair, []).append(article_id)
    _insert_signatures(conn, signed, stories)
    return stories


def _owners_query(n_bands: int):  # type: ignore[no-untyped-def]
    """SELECT band, hash, article_id WHERE (band=0 AND hash IN :h0) OR ...: per band one
    probe of the primary key for every hash of the batch. Built once: composing it per
    batch cost more than running it (bench.pipeline --profile)."""
    band, value = signature_bands.c.band, signature_bands.c.hash
    return select(band, value, signature_bands.c.article_id).where(
        or_(*(and_(band == b, value.in_(bindparam(f"h{b}", expanding=True))) for b in range(n_bands))))


_OWNERS = _owners_query(BANDS)


def _stored_band_owners(conn: Any, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    """{(band, hash): article ids} for these pairs (bands numbered 0 … BANDS - 1)."""
    owners: dict[tuple[int, int], list[int]] = {}
    if not pairs:
        return owners
    params: dict[str, list[int]] = {f"h{b}": [] for b in range(BANDS)}
    for band, value in pairs:
        params[f"h{band}"].append(value)
    for b, h, article_id in conn.execute(_OWNERS, params):
        owners.setdefault((b, h), []).append(article_id)
    return owners


def _ranked_candidates(pairs: Sequence[tuple[int, int]], owners: dict[tuple[int, int], list[int]],
                       exclude: int) -> list[int]:
    """``find_candidates`` over the band owners known so far: most shared bands first."""
    shared: dict[int, int] = {}
    for pair in pairs:
        for article_id in owners.get(pair, ()):
            if article_id != exclude:
                shared[article_id] = shared.get(article_id, 0) + 1
    return sorted(shared, key=lambda a: (-shared[a], a))[:MAX_CANDIDATES]


def _insert_signatures(conn: Any, signed: dict[int, tuple[int, list[int], list[tuple[int, int]]]],
                       stories: dict[int, int | None]) -> None:
    if not signed:
        return
    conn.execute(insert(signatures), [
        {"article_id": a, "story_id": stories[a], "shingles": n, "minhash": pack(sig)}
        for a, (n, sig, _) in signed.items()])
    conn.execute(insert(signature_bands), [
        {"band": band, "hash": value, "article_id": a} for a, (_, _, pairs) in signed.items() for band, value in pairs])
