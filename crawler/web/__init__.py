"""The web app for people who read the news: server-rendered pages (Jinja2) on the HTTP
API's FastAPI app (crawler.api calls ``add_web``). Search ``/``, articles, outlets and
the crawl ledger, and a scrape form; Vietnamese first, English as the other language;
no JavaScript. See crawler.web.security for what keeps untrusted pages inert.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from crawler.core.registry import Outlet
from crawler.web import outlets, pages, scrape
from crawler.web.app import HERE, ScrapeOutcome, Web, WebConfig, WebError, environment
from crawler.web.security import Csrf
from storage.engine import Database

__all__ = ["ScrapeOutcome", "WebConfig", "add_web"]


def add_web(app: FastAPI, database: Database, registry: dict[str, Outlet], config: WebConfig) -> None:
    web = Web(database, registry, config, Csrf(), environment())

    @app.exception_handler(WebError)
    def web_error(request: Request, exc: WebError) -> Response:
        return web.render(request, "error.html", {"message": exc.message, "values": exc.values}, exc.status)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages.add_routes(app, web)
    outlets.add_routes(app, web)
    scrape.add_routes(app, web)
