"""Benchmark: search relevance on a judged query set, our ranker against plain FTS.

The corpus is fixed: the 92 real articles the mirror serves, read from
``crawler/mirror/reconstruct/*.json`` (title, lead, body; provenance in each site's
README). ``bench/search_judged.json`` holds the judged queries (places, words that
fold onto other words, people, one-syllable words, input without diacritics) with
graded relevance (2 about it, 1 mentions it) and the corpus's SHA-256: a changed
corpus must be judged again, so a mismatch stops the run.

For each backend the corpus goes into a fresh database through ``upsert_articles``,
then every query runs through

- ``ours``: ``storage.search.search`` (tiers, exact diacritics, placement, recency);
- ``plain``: the folded words ANDed and ordered by the engine's own relevance
  (FTS5 ``bm25``, PostgreSQL ``ts_rank``), i.e. full-text search without our ranking.

Figures, averaged over queries (each has at least one relevant article):

- P@10: relevant articles among the first 10 returned, divided by
  min(10, max(returned, relevant)): returning junk and missing relevant articles
  both cost;
- nDCG@10 with gains 2^grade - 1;
- ``scattered_above_phrase``: queries of several syllables where an article that does
  not hold them in sequence is ranked above one that does (checked on the corpus text,
  not on the ranker's own labels), over every result returned.

Run: ``python -m bench.search [--postgres URL]`` (SQLite always; PostgreSQL in a fresh
schema of that server, or of ``PROVNEWS_TEST_POSTGRES_URL`` when set).
``bench/search_floors.json`` holds the floors ``tests/storage/test_search_relevance.py`` enforces.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, literal_column, select, text
from sqlalchemy.orm import Session

from crawler.core.record import ArticleRecord, content_hash
from storage import ArticleWrite, Database, make_url_key, open_database, upsert_articles
from storage.search import fold, search

HERE = Path(__file__).parent
RECONSTRUCT = HERE.parent / "crawler" / "mirror" / "reconstruct"
JUDGED = HERE / "search_judged.json"
FLOORS = HERE / "search_floors.json"
K = 10
VN = timezone(timedelta(hours=7))
_LISTING_DATE = re.compile(r"(\d{1,2}):(\d{2}) (\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Doc:
    key: str  # "<outlet>/<id>"
    title: str
    lead: str
    body: str
    published: datetime | None

    @property
    def outlet(self) -> str:
        return self.key.split("/")[0]

    @property
    def url(self) -> str:
        return f"https://{self.outlet}.vn/bench/{self.key.split('/')[1]}.html"


def _published(value: str | None) -> datetime | None:
    """ISO 8601, or a listing's "HH:MM DD/MM/YYYY" in +07:00; else unknown."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        match = _LISTING_DATE.search(value)
        if not match:
            return None
        hour, minute, day, month, year = map(int, match.groups())
        return datetime(year, month, day, hour, minute, tzinfo=VN)


def load_corpus() -> dict[str, Doc]:
    docs: dict[str, Doc] = {}
    for path in sorted(RECONSTRUCT.glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            ident = item.get("id") or item["path"].rsplit("-", 1)[1]
            key = f"{path.stem}/{ident}"
            docs[key] = Doc(key, item["title"], item.get("sapo") or "", "\n".join(item.get("paragraphs", [])),
                            _published(item.get("published")))
    return docs


def corpus_sha(docs: dict[str, Doc]) -> str:
    canonical = json.dumps([[d.key, d.title, d.lead, d.body] for d in docs.values()], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_judged(docs: dict[str, Doc]) -> list[dict]:
    judged = json.loads(JUDGED.read_text(encoding="utf-8"))
    if judged["corpus_sha256"] != corpus_sha(docs):
        raise SystemExit(f"the corpus changed since {JUDGED.name} was judged: judge the queries again")
    return judged["queries"]


def fill(db: Database, docs: dict[str, Doc]) -> dict[int, str]:
    """Store the corpus; the map from article id to corpus key."""
    writes = []
    for doc in docs.values():
        record = ArticleRecord(url=doc.url, outlet=doc.outlet, title=doc.title, summary=doc.lead or None,
                               text=doc.body, published_at=doc.published, content_hash=content_hash(doc.body))
        writes.append(ArticleWrite(record, make_url_key(doc.url)))
    results = db.run_in_transaction(lambda session: upsert_articles(session, writes))
    return {result.id: doc.key for result, doc in zip(results, docs.values(), strict=True)}


def ours(session: Session, query: str, limit: int) -> list[int]:
    return [hit.id for hit in search(session, query, limit=limit, include_flagged=True)]


def plain(session: Session, query: str, limit: int) -> list[int]:
    """The folded words ANDed, in the engine's relevance order: FTS without our ranking."""
    words = re.findall(r"[^\W_]+", fold(query))
    if not words:
        return []
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{w}"' for w in words)
        rows = session.execute(text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :m "
                                    "ORDER BY bm25(articles_fts) LIMIT :k"), {"m": match, "k": limit})
        return [row[0] for row in rows]
    tsquery = func.plainto_tsquery(literal_column("'simple'::regconfig"), " ".join(words))
    vector = literal_column("articles.search_vector")
    stmt = (select(literal_column("articles.id")).select_from(text("articles")).where(vector.op("@@")(tsquery))
            .order_by(func.ts_rank(vector, tsquery).desc(), literal_column("articles.id")).limit(limit))
    return list(session.scalars(stmt))


def precision_at_k(ranked: list[str], grades: dict[str, int]) -> float:
    top = ranked[:K]
    hits = sum(1 for key in top if grades.get(key, 0) > 0)
    return hits / min(K, max(len(top), len(grades)))


def ndcg_at_k(ranked: list[str], grades: dict[str, int]) -> float:
    def dcg(gains: list[int]) -> float:
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:K]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(key, 0) for key in ranked]) / ideal if ideal else 0.0


def holds_sequence(doc: Doc, query: str) -> bool:
    """Whether the document holds the query's folded syllables adjacent and in order."""
    words = fold(f"{doc.title}\n{doc.lead}\n{doc.body}").split()
    tokens = " " + " ".join(re.findall(r"[^\W_]+", " ".join(words))) + " "
    return " " + " ".join(re.findall(r"[^\W_]+", fold(query))) + " " in tokens


def scattered_above_phrase(ranked: list[str], docs: dict[str, Doc], query: str) -> bool:
    """An article without the sequence ranked above one with it."""
    seen_other = False
    for key in ranked:
        if holds_sequence(docs[key], query):
            if seen_other:
                return True
        else:
            seen_other = True
    return False


def evaluate(url: str) -> dict[str, object]:
    """Both rankers over the judged set on the database at ``url`` (empty before)."""
    docs = load_corpus()
    queries = load_judged(docs)
    db = open_database(url)
    try:
        keys = fill(db, docs)
        report: dict[str, object] = {"queries": len(queries)}
        with db.read_session() as session:
            for name, ranker in (("ours", ours), ("plain", plain)):
                report[name] = _score(session, ranker, queries, keys, docs)
    finally:
        db.close()
    return report


def _score(session: Session, ranker: Callable[[Session, str, int], list[int]], queries: list[dict],
           keys: dict[int, str], docs: dict[str, Doc]) -> dict[str, object]:
    p, n, violations, weakest = [], [], [], []
    for judged in queries:
        query, grades = judged["query"], judged["grades"]
        ranked = [keys[i] for i in ranker(session, query, len(docs))]
        p.append(precision_at_k(ranked, grades))
        n.append(ndcg_at_k(ranked, grades))
        if len(fold(query).split()) > 1 and scattered_above_phrase(ranked, docs, query):
            violations.append(query)
        weakest.append((round(n[-1], 3), round(p[-1], 3), query))
    return {"p_at_10": round(sum(p) / len(p), 3), "ndcg_at_10": round(sum(n) / len(n), 3),
            "scattered_above_phrase": violations, "weakest": sorted(weakest)[:5]}


def postgres_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema on the server at ``base``, and the function that drops it."""
    from bench.storage import fresh_url

    return fresh_url(base, Path(tempfile.gettempdir()), "search")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("PROVNEWS_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL (a fresh schema is used; default: $PROVNEWS_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="provnews-search-") as tmp:
        report["sqlite"] = evaluate(f"sqlite:///{tmp}/search.db")
    if args.postgres:
        url, drop = postgres_schema(args.postgres)
        try:
            report["postgresql"] = evaluate(url)
        finally:
            drop()
    else:
        print("PostgreSQL skipped: give --postgres URL", file=sys.stderr)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
