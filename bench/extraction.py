"""Benchmark: plain trafilatura vs our extractor, time per page; and the quality floors.

Speed (default): on each page set present (the gold pages; AEB; trafilatura's corpus
with ``--trafilatura-eval DIR``), every page is extracted by plain trafilatura and by
ours in turn, exactly as ``provnews eval`` calls them (on the trafilatura corpus, plain
is the eval gate's ``extract(fast=False, include_tables=True, include_comments=False)``;
elsewhere ``bare_extraction(html, url=…, with_metadata=True)``). A page's time is the
best of ``--rounds`` runs, which takes out most of the noise of a shared machine; the
figures are ms/page and ours/plain. Both come from the same run, so only the ratio is
meant to be compared across machines.

Floors (``--write-floors``): re-measure the figures that ``tests/extraction/test_eval_floors.py``
holds the extractor to and write ``bench/floors.json``. A floor is never lowered (nor a
ceiling raised) unless ``--allow-lower`` is given (trafilatura's eval gate): that is a
decision, made on purpose. The trafilatura corpus is floored on its CI subset
(``CI_EVERY``): every 8th page, a spread over its sites and languages that runs in seconds.

Run: ``python -m bench.extraction [--rounds 3] [--trafilatura-eval DIR] [--limit N]``
     ``python -m bench.extraction --write-floors [--aeb DIR] [--trafilatura-eval DIR] [--allow-lower]``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.core.registry import Outlet, load_registry
from crawler.services.evaluate import (
    FIELDS,
    GoldPage,
    Prediction,
    Report,
    evaluate,
    fixed_subset,
    load_pages,
    predict_ours,
    predict_trafilatura,
    predict_trafilatura_text,
)

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "extraction" / "gold"
REAL_GOLD = GOLD / "real"  # captured pages of real outlets, floored on their own
FLOORS = Path(__file__).with_name("floors.json")
DEFAULT_AEB = ROOT.parent / "shared" / "bench" / "aeb"
DEFAULT_TRAFILATURA_EVAL = ROOT.parent / "shared" / "bench" / "trafilatura-eval" / "corpus.tar.xz"
CI_EVERY = 8  # the CI subset of trafilatura's corpus: every 8th page (124 of 990)


def unpacked(source: Path, into: Path) -> Path:
    """The corpus folder: ``source`` itself, or ``source`` (corpus.tar.xz) unpacked into ``into``."""
    if source.is_dir():
        return source
    with tarfile.open(source) as archive:
        archive.extractall(into, filter="data")
    return into


def timings(pages: list[GoldPage], rounds: int, registry: dict[str, Outlet]) -> tuple[float, float]:
    """(plain ms/page, ours ms/page): per page, the best of ``rounds`` runs of each, in turn."""
    plain_fn: Callable[[GoldPage], Prediction] = (
        predict_trafilatura_text if any("with" in p.expected for p in pages) else predict_trafilatura)
    plain = ours = 0.0
    for page in pages:
        plain += min(_seconds(plain_fn, page) for _ in range(rounds))
        ours += min(_seconds(lambda p: predict_ours(p, registry), page) for _ in range(rounds))
    return plain * 1000 / len(pages), ours * 1000 / len(pages)


def _seconds(fn: Callable[[GoldPage], Prediction], page: GoldPage) -> float:
    start = time.perf_counter()
    fn(page)
    return time.perf_counter() - start


def _down(value: float | None) -> float | None:
    """Round a measured figure down to 3 decimals: a floor must not fail on float noise."""
    return None if value is None else math.floor(value * 1000) / 1000


def figures(report: Report, extractor: str = "ours") -> dict[str, Any]:
    rep = report.extractors[extractor]
    data: dict[str, Any] = {}
    if rep.fields:
        data["field_accuracy"] = _down(rep.field_accuracy)
        data["fields"] = {n: _down(rep.accuracy(n)) for n in FIELDS if n in rep.fields}
    if rep.body.pages:
        data["body_f1"] = _down(rep.body.f1)
    if rep.article.pages:
        data["article_f1"] = _down(rep.article.f1)
    if rep.snippets.pages:
        data["snippets_f1"] = _down(rep.snippets.f1)
    if rep.gold_snippets[1]:
        data["snippets"] = _down(rep.snippet_accuracy)
    return data


def measure(aeb: Path | None, trafilatura_eval: Path | None) -> dict[str, Any]:
    registry = load_registry()
    gold = load_pages(GOLD)
    result: dict[str, Any] = {}
    for key, generic in (("gold", False), ("gold_generic", True)):
        report = evaluate(gold, registry, name=key, generic=generic)
        result[key] = {"corpus_sha": report.digest, "pages": report.pages,
                       "ours": figures(report), "trafilatura": figures(report, "trafilatura")}
    if REAL_GOLD.is_dir():
        report = evaluate(load_pages(REAL_GOLD), registry, name="gold_real")
        result["gold_real"] = {"corpus_sha": report.digest, "pages": report.pages,
                               "outlets": len({p.id.split("/")[0] for p in load_pages(REAL_GOLD)}),
                               "ours": figures(report), "trafilatura": figures(report, "trafilatura")}
    if aeb is not None and aeb.is_dir():
        report = evaluate(load_pages(aeb), registry, name="aeb")
        result["aeb"] = {"corpus_sha": report.digest, "pages": report.pages,
                         "ours": figures(report), "trafilatura": figures(report, "trafilatura")}
    if trafilatura_eval is not None and trafilatura_eval.exists():
        with tempfile.TemporaryDirectory() as tmp:
            pages = fixed_subset(load_pages(unpacked(trafilatura_eval, Path(tmp))), CI_EVERY)
        report = evaluate(pages, registry, name="trafilatura_eval_ci")
        result["trafilatura_eval_ci"] = {
            "corpus_sha": report.digest, "pages": report.pages, "every": CI_EVERY,
            "ours": figures(report), "trafilatura": figures(report, "trafilatura"),
            "ceilings": {"below_plain": len(report.below)}}
    return result


def lowered(old: Any, new: Any, path: str = "") -> list[str]:
    """Every figure of ``old`` that ``new`` would lower (or drop)."""
    if isinstance(old, dict):
        found = []
        for key, value in old.items():
            if key in ("trafilatura", "corpus_sha", "pages", "every", "outlets", "_doc"):
                continue
            found += lowered(value, (new or {}).get(key) if isinstance(new, dict) else None, f"{path}/{key}")
        return found
    ceiling = "/ceilings/" in path  # a count that must not grow (pages below plain)
    if isinstance(old, (int, float)) and (new is None or (new > old if ceiling else new < old)):
        return [f"{path}: {old} -> {new}"]
    return []


def write_floors(aeb: Path | None, trafilatura_eval: Path | None, allow_lower: bool) -> int:
    old = json.loads(FLOORS.read_text(encoding="utf-8")) if FLOORS.is_file() else {}
    new = measure(aeb, trafilatura_eval)
    for key, folder in (("aeb", aeb), ("trafilatura_eval_ci", trafilatura_eval)):
        if key not in new and key in old:
            print(f"{folder} absent: the {key} floors are kept as they are", file=sys.stderr)
            new[key] = old[key]
    drops = lowered(old, new)
    if drops and not allow_lower:
        print("refusing to lower floors (use --allow-lower on purpose):\n  " + "\n  ".join(drops),
              file=sys.stderr)
        return 1
    new["_doc"] = ("Floors for tests/extraction/test_eval_floors.py, written by "
                   "`python -m bench.extraction --write-floors`; never lowered (ceilings never raised) "
                   "without --allow-lower. Figures are rounded down to 3 decimals; 'trafilatura' is the "
                   "plain baseline, for reference; trafilatura_eval_ci is every 8th page of trafilatura's corpus.")
    FLOORS.write_text(json.dumps(dict(sorted(new.items())), ensure_ascii=False, indent=2) + "\n",
                      encoding="utf-8")
    print(f"wrote {FLOORS}")
    return 0


def print_timings(trafilatura_eval: Path | None, aeb: Path | None, rounds: int, limit: int | None) -> None:
    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmp:
        sets = [("gold", GOLD), ("aeb", aeb)]
        if trafilatura_eval is not None and trafilatura_eval.exists():
            sets.append(("trafilatura-eval", unpacked(trafilatura_eval, Path(tmp))))
        print(f"best of {rounds} rounds per page; plain trafilatura as provnews eval calls it")
        print(f"{'set':18} {'pages':>5} {'plain ms':>9} {'ours ms':>8} {'ours/plain':>10}")
        for name, folder in sets:
            if folder is None or not folder.is_dir():
                continue
            pages = load_pages(folder)
            if limit and len(pages) > limit:
                pages = fixed_subset(pages, -(-len(pages) // limit))
            plain, ours = timings(pages, rounds, registry)
            print(f"{name:18} {len(pages):5} {plain:9.1f} {ours:8.1f} {ours / plain:10.2f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, help="at most this many pages per set, spread evenly")
    parser.add_argument("--write-floors", action="store_true")
    parser.add_argument("--aeb", type=Path, default=DEFAULT_AEB)
    parser.add_argument("--trafilatura-eval", type=Path, default=DEFAULT_TRAFILATURA_EVAL,
                        help="trafilatura's corpus: its folder, or corpus.tar.xz (unpacked to a temp dir)")
    parser.add_argument("--allow-lower", action="store_true")
    args = parser.parse_args(argv)
    if args.write_floors:
        return write_floors(args.aeb, args.trafilatura_eval, args.allow_lower)
    print_timings(args.trafilatura_eval, args.aeb, max(1, args.rounds), args.limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
