"""``provnews mirror serve``: the recorded outlet sites over real HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from crawler.cli.options import port_free_or_exit
from crawler.cli.output import stderr
from crawler.mirror.server import MirrorServer

MIRROR_PORT = 8001  # not the API's 8000: `provnews serve` and the mirror run side by side

mirror_app = typer.Typer(help="Serve the bundled recordings of outlet sites.", no_args_is_help=True)


@mirror_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = MIRROR_PORT,
) -> None:
    """Serve every mirrored outlet until interrupted; crawl it with --mirror.

    A browser sees the list of outlets at the server's / page.

    Example: [bold]provnews mirror serve[/] then
    [bold]provnews crawl baolangson --mirror http://127.0.0.1:8001[/]
    """
    port_free_or_exit(host, port)
    server = MirrorServer(host=host, port=port)
    stderr.print(f"serving {', '.join(server.sites)} at {server.url} (Ctrl-C to stop; "
                 f"open {server.url}/ in a browser for the list)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
