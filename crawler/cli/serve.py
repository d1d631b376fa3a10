"""``provnews serve``: the HTTP API (crawler.api) under uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.options import DbOption, port_free_or_exit
from crawler.cli.output import ExitCode, fail, stderr
from crawler.core.registry import RegistryError
from crawler.settings import from_environment
from storage.engine import StorageError, database_url, safe_url

API_PORT = 8000  # `provnews mirror serve` defaults to another (8001), so both can run at once


def serve(
    host: Annotated[str, typer.Option(
        help="Address to bind. Loopback by default: POST /scrape makes this machine fetch URLs.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = API_PORT,
    db: DbOption = None,
    allow_private: Annotated[bool, typer.Option(
        "--allow-private",
        help="Let POST /scrape fetch loopback, private and reserved addresses on any port "
             "(as `scrape --allow-private`).")] = False,
    web_scrape: Annotated[bool, typer.Option(
        "--web-scrape",
        help="Let the web app's scrape form (/scrape/new) fetch URLs; it also needs PROVNEWS_WEB_TOKEN, "
             "which the form asks for.")] = False,
) -> None:
    """Serve the web app (/ in a browser) and the HTTP API: GET /search, GET /articles/{id}, POST /scrape. Needs: pip install 'provnews\\[api]'.

    Example: [bold]provnews serve --port 8000[/] then open [bold]http://127.0.0.1:8000/[/] or
    [bold]curl 'http://127.0.0.1:8000/search?q=lang+son'[/]
    """
    try:
        import uvicorn

        from crawler.api import ApiConfig, create_app
    except ImportError as exc:
        fail(f"the API needs its extra ({exc.name} is missing): pip install 'provnews[api]'", ExitCode.USAGE)
    port_free_or_exit(host, port)
    url = database_url(db)
    try:
        environment = from_environment()
        allow = tuple(environment.get("PROVNEWS_EGRESS_ALLOW", ()))
        archive = environment.get("PROVNEWS_ARCHIVE_DIR")
        app = create_app(ApiConfig(url, allow_private=allow_private, egress_allow=allow,
                                   sources=environment.get("PROVNEWS_SOURCES"), web_scrape=web_scrape,
                                   web_token=environment.get("PROVNEWS_WEB_TOKEN"),
                                   archive_dir=Path(archive) if archive else None))
    except RegistryError as exc:
        fail(str(exc), ExitCode.SOURCES)
    except ValueError as exc:
        fail(f"environment: {exc}", ExitCode.USAGE)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    stderr.print(f"provnews web app and API on http://{host}:{port} over {safe_url(url)} (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
