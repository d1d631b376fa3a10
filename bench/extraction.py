"""Benchmark: plain trafilatura vs our extractor on the gold pages; and the quality floors.

Speed (default): ms/page of ``trafilatura.bare_extraction(html, url=…, with_metadata=True)``
and of ``extract_bytes`` (trafilatura plus the Vietnamese post-processing) on every gold
page, best of ``--rounds``, and their ratio. Both come from the same run, so only the
ratio is meant to be compared across machines.

Floors (``--write-floors``): re-measure the figures that ``tests/extraction/test_eval_floors.py``
holds the extractor to and write ``bench/floors.json``. A floor is never lowered unless
``--allow-lower`` is given (trafilatura's eval gate): lowering one is a decision, made on purpose.

Run: ``python -m bench.extraction [--rounds 3]``
     ``python -m bench.extraction --write-floors [--aeb ../shared/bench/aeb] [--allow-lower]``
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import trafilatura

from crawler.evaluation import FIELDS, Report, evaluate, load_pages
from crawler.extraction import ExtractionError, extract_bytes
from crawler.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "extraction" / "gold"
REAL_GOLD = GOLD / "real"  # captured pages of real outlets, floored on their own
FLOORS = Path(__file__).with_name("floors.json")
DEFAULT_AEB = ROOT.parent / "shared" / "bench" / "aeb"


def timings(rounds: int) -> tuple[float, float, int]:
    """(trafilatura ms/page, ours ms/page, pages), best round of each."""
    registry = load_registry()
    pages = load_pages(GOLD)
    best_t = best_o = math.inf
    for _ in range(rounds):
        start = time.perf_counter()
        for page in pages:
            trafilatura.bare_extraction(page.html, url=page.url, with_metadata=True)
        best_t = min(best_t, time.perf_counter() - start)
        start = time.perf_counter()
        for page in pages:
            try:
                extract_bytes(page.html, page.url, content_type=page.content_type,
                              outlet=registry.get(page.outlet) if page.outlet else None)
            except ExtractionError:
                pass
        best_o = min(best_o, time.perf_counter() - start)
    return best_t * 1000 / len(pages), best_o * 1000 / len(pages), len(pages)


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
    if rep.snippets[1]:
        data["snippets"] = _down(rep.snippet_accuracy)
    return data


def measure(aeb: Path | None) -> dict[str, Any]:
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
    return result


def lowered(old: Any, new: Any, path: str = "") -> list[str]:
    """Every figure of ``old`` that ``new`` would lower (or drop)."""
    if isinstance(old, dict):
        found = []
        for key, value in old.items():
            if key in ("trafilatura", "corpus_sha", "pages", "outlets", "_doc"):
                continue
            found += lowered(value, (new or {}).get(key) if isinstance(new, dict) else None, f"{path}/{key}")
        return found
    if isinstance(old, (int, float)) and (new is None or new < old):
        return [f"{path}: {old} -> {new}"]
    return []


def write_floors(aeb: Path | None, allow_lower: bool) -> int:
    old = json.loads(FLOORS.read_text(encoding="utf-8")) if FLOORS.is_file() else {}
    new = measure(aeb)
    if "aeb" not in new and "aeb" in old:
        print(f"AEB folder {aeb} absent: its floors are kept as they are", file=sys.stderr)
        new["aeb"] = old["aeb"]
    drops = lowered(old, new)
    if drops and not allow_lower:
        print("refusing to lower floors (use --allow-lower on purpose):\n  " + "\n  ".join(drops),
              file=sys.stderr)
        return 1
    new["_doc"] = ("Floors for tests/extraction/test_eval_floors.py, written by "
                   "`python -m bench.extraction --write-floors`; never lowered without --allow-lower. "
                   "Figures are rounded down to 3 decimals; 'trafilatura' is the plain baseline, for reference.")
    FLOORS.write_text(json.dumps(dict(sorted(new.items())), ensure_ascii=False, indent=2) + "\n",
                      encoding="utf-8")
    print(f"wrote {FLOORS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-floors", action="store_true")
    parser.add_argument("--aeb", type=Path, default=DEFAULT_AEB)
    parser.add_argument("--allow-lower", action="store_true")
    args = parser.parse_args(argv)
    if args.write_floors:
        return write_floors(args.aeb, args.allow_lower)
    traf, ours, pages = timings(max(1, args.rounds))
    print(f"gold pages: {pages}, best of {args.rounds} rounds")
    print(f"plain trafilatura : {traf:7.1f} ms/page")
    print(f"provnews extractor: {ours:7.1f} ms/page")
    print(f"ratio             : {ours / traf:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
