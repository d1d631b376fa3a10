"""``provnews eval``: extraction quality, ours beside plain trafilatura, on the same pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crawler.cli.options import SourcesOption, registry_or_exit
from crawler.cli.output import ExitCode, Format, fail, print_json, print_table, stderr
from crawler.evaluation import FIELDS, INFO_FIELDS, EvaluationError, Report, evaluate as run, load_pages

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
    generic: Annotated[bool, typer.Option(
        "--generic", help="Ignore outlet rules: generic extraction on every page.")] = False,
    misses: Annotated[bool, typer.Option("--misses", help="List every wrong field and weak body (json).")] = False,
    format_: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    sources: SourcesOption = None,
) -> None:
    """Score our extractor and plain trafilatura on a gold set: per-field accuracy and body F1.

    A gold folder holding a ``real/`` folder (captured pages of real outlets) is reported as
    two sets: the pages beside ``real/`` (mirror and reconstructed pages) and ``gold-real``.

    Example: [bold]provnews eval --aeb ../shared/bench/aeb --format json[/]
    """
    registry = registry_or_exit(sources)
    reports: list[Report] = []
    skipped: list[dict[str, str]] = []
    targets = [("gold", gold, True)]
    if (gold / REAL).is_dir():
        targets.append(("gold-real", gold / REAL, True))
    targets += [("aeb", aeb, False)] if aeb is not None else []
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
        label = "aeb" if (folder / "ground-truth.json").is_file() else name
        reports.append(run(pages, registry, name=f"{label} ({folder})", generic=generic))
    if format_ is Format.json:
        print_json({"sets": [r.as_json(misses=misses) for r in reports], "skipped": skipped})
        return
    for report in reports:
        print_table(f"{report.name}: {report.pages} pages, corpus {report.digest}",
                    ["metric", *EXTRACTORS, "scored"], _rows(report))


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
    if ours.snippets[1]:
        rows.append(["text snippets (must / must not)",
                     *(_pct(report.extractors[k].snippet_accuracy) for k in EXTRACTORS), ours.snippets[1]])
    rows.append(["no result", *(report.extractors[k].failed for k in EXTRACTORS), report.pages])
    rows.append(["ms/page", *(f"{report.extractors[k].seconds * 1000 / max(1, report.pages):.1f}"
                              for k in EXTRACTORS), report.pages])
    return rows


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"
