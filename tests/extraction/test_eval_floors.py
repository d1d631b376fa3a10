"""The quality gate: our figures on the gold set (and on AEB and the CI subset of
trafilatura's corpus when present) never fall below ``bench/floors.json``; a floor is
only lowered on purpose (``python -m bench.extraction --write-floors --allow-lower``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.extraction import (
    CI_EVERY,
    DEFAULT_AEB,
    DEFAULT_TRAFILATURA_EVAL,
    FLOORS,
    figures,
    unpacked,
)
from crawler.core.registry import load_registry
from crawler.services.evaluate import evaluate, fixed_subset, load_pages

GOLD = Path(__file__).parent / "gold"
AEB = Path(os.environ.get("PROVNEWS_AEB") or DEFAULT_AEB)
# trafilatura's corpus: its unpacked folder or corpus.tar.xz.
TRAFILATURA_EVAL = Path(os.environ.get("PROVNEWS_TRAFILATURA_EVAL") or DEFAULT_TRAFILATURA_EVAL)
FLOOR_DATA = json.loads(FLOORS.read_text(encoding="utf-8"))
# Acceptance targets of the gold set (issue 4), independent of the committed floors.
MIN_FIELD_ACCURACY = 0.98
MIN_BODY_F1 = 0.97


def _assert_at_least(measured: dict, floors: dict, where: str) -> None:
    for key, floor in floors.items():
        if isinstance(floor, dict):
            _assert_at_least(measured.get(key) or {}, floor, f"{where}/{key}")
        else:
            value = measured.get(key)
            assert value is not None and value >= floor, f"{where}/{key}: {value} < floor {floor}"


@pytest.fixture(scope="module")
def gold_pages():
    return load_pages(GOLD)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("key", ["gold", "gold_generic"])
def test_gold_figures_hold_their_floors(gold_pages, key: str) -> None:
    report = evaluate(gold_pages, load_registry(), name=key, generic=key == "gold_generic")
    floors = FLOOR_DATA[key]
    assert report.digest == floors["corpus_sha"], (
        "the gold set changed: re-measure with `python -m bench.extraction --write-floors` and commit")
    _assert_at_least(figures(report), floors["ours"], key)

    ours, plain = report.extractors["ours"], report.extractors["trafilatura"]
    assert ours.field_accuracy >= MIN_FIELD_ACCURACY
    assert ours.body.f1 >= MIN_BODY_F1
    for name in ("published_at", "authors"):
        assert ours.accuracy(name) > plain.accuracy(name), name


@pytest.mark.timeout(120)
def test_real_gold_figures_hold_their_floors() -> None:
    """Captured pages of real outlets (gold/real): floored apart from the mirror pages, at what
    the extractor scores now. The issue-13 target (97 % field accuracy) is reported by
    `provnews eval`, not asserted: the floors only stop a regression."""
    report = evaluate(load_pages(GOLD / "real"), load_registry(), name="gold_real")
    floors = FLOOR_DATA["gold_real"]
    assert report.digest == floors["corpus_sha"], (
        "the real gold set changed: re-measure with `python -m bench.extraction --write-floors` and commit")
    _assert_at_least(figures(report), floors["ours"], "gold_real")


def test_gold_set_size() -> None:
    pages = load_pages(GOLD)
    outlets = {p.id.split("/")[0] for p in pages} - {"generic"}
    assert len(pages) >= 40 and len(outlets) >= 5, (len(pages), sorted(outlets))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_aeb_ours_not_below_plain_trafilatura() -> None:
    if not (AEB / "ground-truth.json").is_file():
        pytest.skip(f"AEB benchmark not found at {AEB} (set PROVNEWS_AEB to its folder)")
    report = evaluate(load_pages(AEB), load_registry(), name="aeb")
    ours, plain = report.extractors["ours"].article, report.extractors["trafilatura"].article
    assert ours.f1 >= plain.f1, (ours.f1, plain.f1)
    floors = FLOOR_DATA.get("aeb")
    if floors and floors["corpus_sha"] == report.digest:
        _assert_at_least(figures(report), floors["ours"], "aeb")


@pytest.fixture(scope="module")
def trafilatura_ci_pages(tmp_path_factory):
    if not TRAFILATURA_EVAL.exists():
        pytest.skip(f"trafilatura's corpus not found at {TRAFILATURA_EVAL} (set PROVNEWS_TRAFILATURA_EVAL)")
    folder = unpacked(TRAFILATURA_EVAL, tmp_path_factory.mktemp("trafilatura-eval"))
    return fixed_subset(load_pages(folder), CI_EVERY)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_trafilatura_corpus_subset_holds_its_floor(trafilatura_ci_pages) -> None:
    """Every 8th page of trafilatura's own corpus: our snippet F1 never drops below its
    floor, and the pages where ours scores below plain trafilatura never grow in number."""
    report = evaluate(trafilatura_ci_pages, load_registry(), name="trafilatura_eval_ci")
    floors = FLOOR_DATA["trafilatura_eval_ci"]
    assert report.digest == floors["corpus_sha"], "the corpus or its subset changed: re-measure the floors"
    _assert_at_least(figures(report), floors["ours"], "trafilatura_eval_ci")
    below = report.below
    assert len(below) <= floors["ceilings"]["below_plain"], below
    assert report.extractors["ours"].snippets.f1 >= report.extractors["trafilatura"].snippets.f1
