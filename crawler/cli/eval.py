"""``provnews eval``: extraction quality, ours beside plain trafilatura, on the same pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crawler.cli.options import SourcesOption, registry_or_exit
from crawler.cli.output import (
    ExitCode,
    RecordFormat,
    RecordFormatOption,
    fail,
    print_json,
    print_table,
    stderr,
)
from crawler.services.evaluate import (
    FIELDS,
    INFO_FIELDS,
    EvaluationError,
    Report,
    fixed_subset,
    is_aeb,
    is_trafilatura_eval,
    load_pages,
)
from crawler.services.evaluate import (
    evaluate as run,
)

# The repository's gold set (the package is installed editable from the repo).
DEFAULT_GOLD = Path(__file__).resolve().parents[2] / "tests" / "extraction" / "gold"
EXTRACTORS = ("ours", "trafilatura")
REAL = "real"  # the gold folder's sub-folder of captured real pages


def evaluate(
    gold: Annotated[Path, typer.Option(
        help="Gold folder (<outlet>/<name>.html + .json) or the AEB folder (ground-truth.json + html/).",
        file_okay=False)] = DEFAULT_GOLD,
    aeb: Annotated[Path | None, typer.Option(
        envvar="PROVNEWS_AEB", show_envvar=True, file_okay=False,
        help="Also score the public AEB benchmark in this folder; skipped with a message when absent.")] = None,
    trafilatura_eval: Annotated[Path | None, typer.Option(
        "--trafilatura-eval", envvar="PROVNEWS_TRAFILATURA_EVAL", show_envvar=True, file_okay=False,
        help="Also score trafilatura's evaluation corpus unpacked in this folder (evaldata.json, "
             "cache/, eval/); skipped with a message when absent.")] = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="At most this many pages of each set, spread evenly over it (every k-th page).")] = None,
    generic: Annotated[bool, typer.Option(
        "--generic", help="Ignore outlet rules: generic extraction on every page.")] = False,
    misses: Annotated[bool, typer.Option(
        "--misses", help="List every wrong field and weak body, and the pages where ours is below plain.")] = False,
    format_: RecordFormatOption = RecordFormat.table,
    sources: SourcesOption = None,
) -> None:
    """Score our extractor and plain trafilatura on the same pages.

    Per set: field accuracy, body P/R/F1, and the pages where ours is below plain.

    A gold folder holding a ``real/`` folder (captured pages of real outlets) is reported as
    two sets: the pages beside ``real/`` (mirror and reconstructed pages) and ``gold-real``.

    Example: [bold]provnews eval --trafilatura-eval /tmp/eval --aeb path/to/aeb --limit 100 --misses[/]
    """
    registry = registry_or_exit(sources)
    reports: list[Report] = []
    skipped: list[dict[str, str]] = []
    targets = [("gold", gold, True)]
    if (gold / REAL).is_dir():
        targets.append(("gold-real", gold / REAL, True))
    targets += [(name, folder, False) for name, folder in
                (("aeb", aeb), ("trafilatura-eval", trafilatura_eval)) if folder is not None]
    for name, folder, required in targets:
        if not folder.is_dir():
            reason = f"{folder}: no such folder"
            if required:
                fail(reason, ExitCode.NOT_FOUND)
            stderr.print(f"skipped {name}: {reason}", highlight=False)
            skipped.append({"set": name, "reason": reason})
            continue
        try:
            pages = load_pages(folder)
        except EvaluationError as exc:
            fail(str(exc), ExitCode.NOT_FOUND)
        if limit and len(pages) > limit:
            pages = fixed_subset(pages, -(-len(pages) // limit))
        label = "aeb" if is_aeb(folder) else "trafilatura-eval" if is_trafilatura_eval(folder) else name
        reports.append(run(pages, registry, name=f"{label} ({folder})", generic=generic))
    if format_ is RecordFormat.json:
        print_json({"sets": [r.as_json(misses=misses) for r in reports], "skipped": skipped})
        return
    for report in reports:
        print_table(f"{report.name}: {report.pages} pages, corpus {report.digest}",
                    ["metric", *EXTRACTORS, "scored"], _rows(report))
        if misses:
            print_table(f"{report.name}: pages where ours is below plain trafilatura",
                        ["page", *EXTRACTORS], [[b["page"], b["ours"], b["trafilatura"]] for b in report.below])


def _rows(report: Report) -> list[list[Any]]:
    ours = report.extractors["ours"]
    rows: list[list[Any]] = []
    for name in FIELDS + INFO_FIELDS:
        if name in ours.fields:
            label = f"{name} (info: day only)" if name in INFO_FIELDS else name
            rows.append([label, *(_pct(report.extractors[k].accuracy(name)) for k in EXTRACTORS),
                         ours.fields[name][1]])
    if ours.fields:
        rows.append(["fields (all)", *(_pct(report.extractors[k].field_accuracy) for k in EXTRACTORS),
                     sum(s for n, (_, s) in ours.fields.items() if n not in INFO_FIELDS)])
    for label, attr in (("body", "body"), ("article (lead + body)", "article")):
        if getattr(ours, attr).pages:
            for metric in ("f1", "precision", "recall", "accuracy"):
                rows.append([f"{label} {metric}",
                             *(f"{getattr(getattr(report.extractors[k], attr), metric):.3f}" for k in EXTRACTORS),
                             getattr(ours, attr).pages])
    if ours.snippets.pages:
        for metric in ("f1", "precision", "recall"):
            rows.append([f"snippets {metric}", *(f"{getattr(report.extractors[k].snippets, metric):.3f}"
                                                 for k in EXTRACTORS), ours.snippets.pages])
    rows.append(["pages where ours is below plain", len(report.below), "", report.pages])
    rows.append(["pages where ours is above plain", report.above, "", report.pages])
    if ours.gold_snippets[1]:
        rows.append(["text snippets (must / must not)",
                     *(_pct(report.extractors[k].snippet_accuracy) for k in EXTRACTORS), ours.gold_snippets[1]])
    rows.append(["no result", *(report.extractors[k].failed for k in EXTRACTORS), report.pages])
    rows.append(["ms/page", *(f"{report.extractors[k].seconds * 1000 / max(1, report.pages):.1f}"
                              for k in EXTRACTORS), report.pages])
    return rows


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"
