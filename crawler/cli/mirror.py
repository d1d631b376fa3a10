"""``provnews mirror serve``: the recorded outlet sites over real HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from crawler.cli.output import stderr
from crawler.mirror.server import MirrorServer

mirror_app = typer.Typer(help="Serve the bundled recordings of outlet sites.", no_args_is_help=True)


@mirror_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8000,
) -> None:
    """Serve every mirrored outlet until interrupted; crawl it with --mirror.

    Example: [bold]provnews mirror serve --port 8000[/] then
    [bold]provnews crawl baolangson --mirror http://127.0.0.1:8000[/]
    """
    server = MirrorServer(host=host, port=port)
    stderr.print(f"serving {', '.join(server.sites)} at {server.url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
