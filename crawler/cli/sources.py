"""``provnews sources``: the outlet registry."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.options import DbOption, MirrorOption, SourcesOption, registry_or_exit
from crawler.cli.output import (
    LOCAL_ZONE,
    ExitCode,
    Format,
    FormatOption,
    fail,
    local_minute,
    print_json,
    print_rows,
    print_table,
    stderr,
)
from crawler.core.registry import (
    DEFAULT_LIVE_CHECKS,
    RegistryError,
    evidence_summary,
    load_live_checks,
    record_live_checks,
)
from crawler.services.crawl import CrawlOptions, run_check
from crawler.services.health import health_row
from storage import crawlstate
from storage.database import open_database
from storage.engine import StorageError, database_url
from storage.search import fold

sources_app = typer.Typer(help="List and inspect the outlet registry.", no_args_is_help=True)
LiveChecksOption = Annotated[Path, typer.Option(
    "--live-checks", envvar="PROVNEWS_LIVE_CHECKS", show_envvar=True,
    help="The file `sources check --live` writes its results to, and list/show read.")]


@sources_app.command("list")
def list_(
    province: Annotated[str | None, typer.Option(help="Only outlets of this province (diacritics optional).")] = None,
    sources: SourcesOption = None,
    live_checks: LiveChecksOption = DEFAULT_LIVE_CHECKS,
    format_: FormatOption = Format.table,
) -> None:
    """List the outlets.

    Example: [bold]provnews sources list --province "lang son" --format json[/]
    """
    registry = registry_or_exit(sources)
    live = _live_checks_or_exit(live_checks)
    wanted = fold(province) if province else None
    rows = [{"key": o.key, "name": o.name, "province": o.province, "former_province": o.former_province,
             "base_url": o.base_url, "feeds": len(o.feeds), "sitemaps": len(o.sitemaps),
             "listings": len(o.listings), "evidence": _evidence_or_exit(o.key),
             "verified": _verified(live.get(o.key))}
            for o in registry.values()
            if wanted is None or wanted in (fold(o.province), fold(o.former_province or ""))]
    if not print_rows(format_, rows):
        columns = ["key", "name", "province", "former_province", "base_url", "feeds", "sitemaps", "listings",
                   "evidence", "newest evidence", "verified"]
        print_table("Outlets", columns,
                    [[r["key"], r["name"], r["province"], r["former_province"], r["base_url"], r["feeds"],
                      r["sitemaps"], r["listings"], _evidence_text(r["evidence"]), _evidence_date(r["evidence"]),
                      _verified_text(r["verified"])] for r in rows])


def _evidence_or_exit(key: str) -> dict:
    try:
        return evidence_summary(key)
    except RegistryError as exc:
        fail(str(exc), ExitCode.SOURCES)


def _live_checks_or_exit(path: Path) -> dict[str, dict]:
    try:
        return load_live_checks(path)
    except RegistryError as exc:
        fail(str(exc), ExitCode.SOURCES)


def _verified(check: dict | None) -> dict | None:
    """``{"status": "live" | "failed", "checked_at": ...}`` from the live-checks file, else None:
    only a user's `sources check --live` can make an entry verified."""
    if not check:
        return None
    return {"status": check.get("verified"), "checked_at": check.get("checked_at")}


def _evidence_text(evidence: dict) -> str:
    if evidence["level"] == "none":
        return "none"
    return f"{evidence['level']} ({evidence['articles']} articles)"


def _evidence_date(evidence: dict) -> str:
    """The newest date the evidence carries; else when it was collected (or looked for)."""
    if evidence["newest"]:
        return evidence["newest"]
    return f"undated (collected {evidence['collected']})" if evidence["collected"] else "-"


def _verified_text(verified: dict | None) -> str:
    return f"{verified['status']} {verified['checked_at']}" if verified else "no"


@sources_app.command()
def show(
    key: Annotated[str, typer.Argument(help="Outlet key.")],
    sources: SourcesOption = None,
    live_checks: LiveChecksOption = DEFAULT_LIVE_CHECKS,
) -> None:
    """Show one outlet's registry entry as JSON.

    Example: [bold]provnews sources show baolangson[/]
    """
    registry = registry_or_exit(sources)
    if key not in registry:
        fail(f"unknown outlet {key!r} (see `provnews sources list`)", ExitCode.NOT_FOUND)
    entry = registry[key].model_dump(mode="json")
    # The bare `verified: false` of the registry says nothing; show what backs the entry instead:
    # public evidence (crawler/registry_evidence) and the user's own live check, if any.
    entry["verified"] = _verified(_live_checks_or_exit(live_checks).get(key))
    entry["evidence"] = _evidence_or_exit(key)
    print_json(entry)


@sources_app.command()
def validate(sources: SourcesOption = None) -> None:
    """Check the built-in registry and a --sources file; exit 3 naming the outlet and field.

    Example: [bold]provnews sources validate --sources my-outlets.yaml[/]
    """
    registry = registry_or_exit(sources)
    stderr.print(f"{len(registry)} outlet(s) valid", highlight=False)


@sources_app.command()
def check(
    outlets: Annotated[list[str] | None, typer.Argument(help="Outlet keys (default: all).")] = None,
    live: Annotated[bool, typer.Option("--live", help="Required: this command fetches from the sites.")] = False,
    mirror: MirrorOption = None,
    sources: SourcesOption = None,
    live_checks: LiveChecksOption = DEFAULT_LIVE_CHECKS,
    format_: FormatOption = Format.table,
) -> None:
    """Canary: fetch robots.txt, feeds, sitemaps and home page of each outlet, and report
    what answers and how many article URLs each yields. Exit 1 if any probe fails.

    With --live the result of each outlet is written to a local file
    (provnews-live-checks.yaml, or $PROVNEWS_LIVE_CHECKS) that `sources list` and
    `sources show` read: the only way an entry becomes `verified: live`. Share that file.

    Example: [bold]provnews sources check --live baolangson[/]
    """
    if not (live or mirror):
        fail("this command fetches from the sites: pass --live (or --mirror URL)", ExitCode.USAGE)
    registry = registry_or_exit(sources)
    keys = outlets or list(registry)
    unknown = [k for k in keys if k not in registry]
    if unknown:
        fail(f"unknown outlet(s): {', '.join(unknown)}", ExitCode.NOT_FOUND)
    options = CrawlOptions(database_url(None), mirror=mirror, sources=str(sources) if sources else None)
    probes = run_check(keys, options)
    rows = [asdict(p) | {"ok": p.ok} for p in probes]
    if live and not mirror:
        try:
            written = record_live_checks(rows, live_checks)
        except (RegistryError, OSError) as exc:
            fail(f"cannot record the live check: {exc}", ExitCode.FAILURE)
        stderr.print(f"live check recorded in {written}", highlight=False)
    if not print_rows(format_, rows):
        print_table("Outlet check", ["outlet", "kind", "url", "status", "articles", "problem", "ok"],
                    [[r["outlet"], r["kind"], r["url"], r["status"], r["articles"], r["problem"],
                      "yes" if r["ok"] else "NO"] for r in rows])
    if not all(p.ok for p in probes):
        raise typer.Exit(ExitCode.FAILURE)


@sources_app.command()
def health(
    runs: Annotated[int, typer.Option(min=1, help="Flag an outlet whose last N runs found nothing new.")] = 5,
    sources: SourcesOption = None,
    db: DbOption = None,
    format_: FormatOption = Format.table,
) -> None:
    """Per outlet and route, what the recent crawls yielded; flags outlets gone dry.

    Example: [bold]provnews sources health --runs 5[/]
    """
    registry = registry_or_exit(sources)
    try:
        with open_database(database_url(db), create=False).read_session() as session:
            recent = {key: crawlstate.recent_runs(session, key, runs) for key in registry}
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    rows = [health_row(key, outlet_runs, runs) for key, outlet_runs in recent.items()]
    if print_rows(format_, rows):
        return
    # Most telling first: at 80 columns the last ones are left out (json has them all).
    print_table(f"Route health (last {runs} runs)",
                ["outlet", "status", f"last run ({LOCAL_ZONE})", "new", "errors", "runs", "feed", "sitemap",
                 "listing", "route plan (last run)", "fallbacks"],
                [[r["outlet"], r["status"], local_minute(datetime.fromisoformat(r["last_run"]) if r["last_run"]
                  else None), r["new"], r["errors"], r["runs"], *(_yield(r["routes"].get(name))
                  for name in ("feed", "sitemap", "listing")), _plan_text(r), r["fallback_runs"]] for r in rows])


def _plan_text(row: dict) -> str:
    marks = {**dict.fromkeys(row["skipped"], " (skipped)"), **dict.fromkeys(row["fallback"], " (fallback)")}
    return " > ".join(route + marks.get(route, "") for route in row["order"]) or "-"


def _yield(counts: dict[str, int] | None) -> str:
    return f"{counts['new']} new / {counts['urls']} seen" if counts else "-"
