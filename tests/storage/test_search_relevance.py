"""The judged query set (bench/search_judged.json) on every backend: our ranker stays
above the floors in bench/search_floors.json and never ranks an article without a
multi-syllable query's sequence above one holding it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bench.search import FLOORS, corpus_sha, evaluate, load_corpus, load_judged
from tests.storage.conftest import BACKENDS, backend_url


@pytest.fixture(scope="module", params=BACKENDS)
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    urls = backend_url(request.param, tmp_path_factory.mktemp("relevance"))
    yield evaluate(next(urls))
    urls.close()


def test_the_judged_set_matches_the_corpus() -> None:
    docs = load_corpus()
    queries = load_judged(docs)
    assert len(queries) >= 40
    assert {q["kind"] for q in queries} >= {"place", "folds-onto-other-words", "person", "one-syllable",
                                            "no-diacritics"}
    assert all(q["grades"] and set(q["grades"]) <= set(docs) for q in queries)
    assert len(corpus_sha(docs)) == 64


def test_ours_meets_the_floors(report: dict) -> None:
    floors = json.loads(FLOORS.read_text())
    assert report["ours"]["p_at_10"] >= floors["p_at_10"], report["ours"]
    assert report["ours"]["ndcg_at_10"] >= floors["ndcg_at_10"], report["ours"]
    assert len(report["ours"]["scattered_above_phrase"]) <= floors["scattered_above_phrase"], report["ours"]


def test_ours_beats_plain_full_text_search(report: dict) -> None:
    assert report["ours"]["p_at_10"] > report["plain"]["p_at_10"]
    assert report["ours"]["ndcg_at_10"] > report["plain"]["ndcg_at_10"]
