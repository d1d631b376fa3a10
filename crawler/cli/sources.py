"""``provnews sources``: the outlet registry."""

from __future__ import annotations

from typing import Annotated

import typer

from dataclasses import asdict

from crawler.cli.options import MirrorOption, SourcesOption, registry_or_exit
from crawler.runner import CrawlOptions, run_check
from storage.engine import database_url
from crawler.cli.output import ExitCode, Format, fail, print_json, print_table, stderr
from storage.search import fold

sources_app = typer.Typer(help="List and inspect the outlet registry.", no_args_is_help=True)


@sources_app.command("list")
def list_(
    province: Annotated[str | None, typer.Option(help="Only outlets of this province (diacritics optional).")] = None,
    sources: SourcesOption = None,
    format_: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List the outlets.

    Example: [bold]provnews sources list --province "lang son" --format json[/]
    """
    registry = registry_or_exit(sources)
    wanted = fold(province) if province else None
    rows = [{"key": o.key, "name": o.name, "province": o.province, "former_province": o.former_province,
             "base_url": o.base_url, "feeds": len(o.feeds), "sitemaps": len(o.sitemaps),
             "listings": len(o.listings), "verified": o.verified}
            for o in registry.values()
            if wanted is None or wanted in (fold(o.province), fold(o.former_province or ""))]
    if format_ is Format.json:
        print_json(rows)
    else:
        print_table("Outlets", list(rows[0]) if rows else [], [list(r.values()) for r in rows])


@sources_app.command()
def show(
    key: Annotated[str, typer.Argument(help="Outlet key.")],
    sources: SourcesOption = None,
) -> None:
    """Show one outlet's registry entry as JSON.

    Example: [bold]provnews sources show baolangson[/]
    """
    registry = registry_or_exit(sources)
    if key not in registry:
        fail(f"unknown outlet {key!r} (see `provnews sources list`)", ExitCode.NOT_FOUND)
    print_json(registry[key].model_dump(mode="json"))


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
    format_: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Canary: fetch robots.txt, feeds, sitemaps and home page of each outlet, and report
    what answers and how many article URLs each yields. Exit 1 if any probe fails.

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
    if format_ is Format.json:
        print_json(rows)
    else:
        print_table("Outlet check", ["outlet", "kind", "url", "status", "articles", "problem", "ok"],
                    [[r["outlet"], r["kind"], r["url"], r["status"], r["articles"], r["problem"],
                      "yes" if r["ok"] else "NO"] for r in rows])
    if not all(p.ok for p in probes):
        raise typer.Exit(ExitCode.FAILURE)
