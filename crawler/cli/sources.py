"""``provnews sources``: the outlet registry."""

from __future__ import annotations

from typing import Annotated

import typer

from crawler.cli.options import SourcesOption, registry_or_exit
from crawler.cli.output import ExitCode, Format, fail, print_json, print_table

sources_app = typer.Typer(help="List and inspect the outlet registry.", no_args_is_help=True)


@sources_app.command("list")
def list_(
    sources: SourcesOption = None,
    format_: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List the outlets.

    Example: [bold]provnews sources list --format json[/]
    """
    registry = registry_or_exit(sources)
    rows = [{"key": o.key, "name": o.name, "province": o.province, "base_url": o.base_url,
             "feeds": len(o.feeds), "sitemaps": len(o.sitemaps), "listings": len(o.listings)}
            for o in registry.values()]
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
