"""``provnews mirror serve``: the recorded outlet sites over real HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.options import port_free_or_exit
from crawler.cli.output import stderr
from crawler.mirror.generate import generate as generate_mirror
from crawler.mirror.server import SITES_DIR, MirrorServer

MIRROR_PORT = 8001  # not the API's 8000: `provnews serve` and the mirror run side by side

mirror_app = typer.Typer(help="Serve the bundled recordings of outlet sites, or generate a scale mirror.",
                         no_args_is_help=True)


@mirror_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = MIRROR_PORT,
    sites: Annotated[Path, typer.Option(help="Folder of host folders, e.g. a generated DIR/sites.",
                                        exists=True, file_okay=False)] = SITES_DIR,
    request_log: Annotated[Path | None, typer.Option(
        help="Append every request to this file as a JSON line: host, path, status, client, start, end.",
        dir_okay=False)] = None,
) -> None:
    """Serve every mirrored outlet until interrupted; crawl it with --mirror.

    A browser sees the list of outlets at the server's / page.

    Example: [bold]provnews mirror serve[/] then
    [bold]provnews crawl baolangson --mirror http://127.0.0.1:8001[/]
    """
    port_free_or_exit(host, port)
    server = MirrorServer(sites, host=host, port=port, request_log=request_log)
    stderr.print(f"serving {', '.join(server.sites)} at {server.url} (Ctrl-C to stop; "
                 f"open {server.url}/ in a browser for the list)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@mirror_app.command()
def generate(
    directory: Annotated[Path, typer.Argument(help="Where to write sites/ and sources.yaml.")],
    outlets: Annotated[int, typer.Option(min=1, max=99, help="Synthetic outlets.")] = 10,
    articles: Annotated[int, typer.Option(min=1, help="Articles in all, spread over the outlets.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 1,
    epoch: Annotated[int, typer.Option(min=0, help="> 0: about 5 % of the articles revised.")] = 0,
) -> None:
    """Write a scale mirror for benchmarks, never for a gold set.

    Synthetic outlets in the five CMS families' templates, from real text fragments.

    Example: [bold]provnews mirror generate --outlets 10 --articles 20000 --seed 1 /tmp/scale[/] then
    [bold]provnews mirror serve --sites /tmp/scale/sites[/] and
    [bold]provnews crawl --all --mirror http://127.0.0.1:8001 --sources /tmp/scale/sources.yaml[/]
    """
    written = generate_mirror(directory, outlets, articles, seed, epoch)
    stderr.print(f"{len(written)} articles on {outlets} outlets in {directory / 'sites'}; "
                 f"registry entries in {directory / 'sources.yaml'}")
