"""The HTTP API (``provnews serve``): read the database, scrape one URL; and the web app
for people (crawler.web: ``/``, ``/article/{id}``, ``/outlets``, ``/scrape/new``) on the same app.

- ``GET /search`` and ``GET /articles/{id}`` are the CLI's ``search`` and ``show``:
  the same parsing and validation (crawler.services.search), the ArticleRecord JSON contract.
- ``POST /scrape {"url": ...}`` runs the egress guard's checks that need no DNS
  (scheme, port, IP-literal address: crawler.fetching.egress.check_user_url) here, before any
  request is made; an accepted URL is scraped by ``python -m crawler scrape`` in a
  subprocess, because a Twisted reactor cannot be restarted inside this process.
  There the connect-time resolver check and every redirect hop's check apply.

Every error is JSON: ``{"error": <code>, "detail": ...}``; a refusal adds ``"reason"``
(egress's reason code), a failed scrape adds ``"exit_code"`` (the CLI's, README).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from crawler.archive.warc import default_directory
from crawler.core.registry import Outlet, load_registry
from crawler.fetching.egress import Allowlist, check_user_url
from crawler.services.exit_codes import ExitCode
from crawler.services.search import (
    SEARCH_DEPTH_MAX,
    SEARCH_LIMIT_MAX,
    FilterError,
    check_filters,
    find_articles,
    parse_range,
    show_article,
)
from crawler.settings import as_environment
from crawler.web import ScrapeOutcome, WebConfig, add_web
from storage.database import open_database
from storage.engine import Database, StorageError
from storage.search import parse_query

# The most telling first: a refused redirect hop also refuses its robots.txt request.
REFUSAL_REASONS = ("blocked_redirect", "blocked_address", "blocked_port", "bad_scheme", "bad_url")
# A URL that is not a usable http(s) URL is the client's mistake (400); an address or
# port the policy forbids is a refusal (403).
MALFORMED_REASONS = frozenset({"bad_scheme", "bad_url"})
# Exit codes of `provnews scrape` other than 0 and 6: (HTTP status, error code).
SCRAPE_FAILURES = {
    ExitCode.FAILURE: (HTTPStatus.BAD_GATEWAY, "scrape_failed"),
    ExitCode.SOURCES: (HTTPStatus.INTERNAL_SERVER_ERROR, "sources_invalid"),
    ExitCode.DATABASE: (HTTPStatus.SERVICE_UNAVAILABLE, "database_error"),
}
MAX_URL_LENGTH = 2083            # URLLENGTH_LIMIT
MAX_ARTICLE_ID = 2**63 - 1       # larger ids overflow SQLite's integer
_REPORT_LINE = re.compile(r"^(?:error: |failed: |not stored: ).*$", re.MULTILINE)
_FAILED_REASON = re.compile(r"^failed: \d+ × (\S+)$", re.MULTILINE)
_DROPPED_REASON = re.compile(r"^not stored: .* \((\S+)\)$", re.MULTILINE)


@dataclass(frozen=True)
class ApiConfig:
    db_url: str
    allow_private: bool = False
    # Comma-separated ``ip`` / ``ip:port`` entries exempt from the address check, in
    # PROVNEWS_EGRESS_ALLOW's form: the scrape subprocess gets it as that variable.
    egress_allow: tuple[str, ...] = ()   # "ip" or "ip:port" entries (PROVNEWS_EGRESS_ALLOW)
    # An extra registry file (PROVNEWS_SOURCES): its outlets are valid ``outlet`` filters too.
    sources: str | None = None
    scrape_timeout: float = 120.0
    # Each scrape is a Scrapy process; more at once would starve the readers.
    max_scrapes: int = 2
    # The web app (crawler.web): its scrape form answers only with web_scrape and a web_token
    # (PROVNEWS_WEB_TOKEN); the raw pages come from archive_dir (default: beside the SQLite file).
    web_scrape: bool = False
    web_token: str | None = None
    archive_dir: pathlib.Path | None = None


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: Any, **extra: Any):
        super().__init__(detail)
        self.status, self.body = status, {"error": error, "detail": detail, **extra}


class ScrapeRequest(BaseModel):
    url: str = Field(max_length=MAX_URL_LENGTH)


def create_app(config: ApiConfig) -> FastAPI:
    """The app over ``config.db_url``, opened (and migrated) now so a bad URL fails at start.

    Raises StorageError for a database that cannot be opened, ValueError for a bad allowlist,
    RegistryError for an invalid registry file."""
    allow = Allowlist.parse(config.egress_allow)
    registry = load_registry(config.sources)
    database = open_database(config.db_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        database.close()

    app = FastAPI(title="provnews", summary="Vietnamese provincial news: search, read, scrape.", lifespan=lifespan)
    _add_error_handlers(app)
    _add_read_routes(app, database, registry)
    scrape = _add_scrape_route(app, config, allow)
    add_web(app, database, registry, WebConfig(
        archive_dir=config.archive_dir or default_directory(config.db_url), token=config.web_token,
        scrape=_web_scrape(scrape) if config.web_scrape else None))
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [{"field": ".".join(map(str, e["loc"][1:])), "message": e["msg"]} for e in exc.errors()]
        return JSONResponse({"error": "invalid_request", "detail": detail}, status_code=422)

    @app.exception_handler(StorageError)
    def storage_error(_: Request, exc: StorageError) -> JSONResponse:
        return JSONResponse({"error": "database_error", "detail": str(exc)}, status_code=503)

    @app.exception_handler(Exception)
    def internal_error(_: Request, exc: Exception) -> JSONResponse:
        # Clients parse every answer as JSON, a bug's included.
        return JSONResponse({"error": "internal_error", "detail": type(exc).__name__}, status_code=500)

    @app.exception_handler(HTTPException)
    def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        # Unknown routes and methods: the same error shape as ours ("not_found", …).
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return JSONResponse({"error": code, "detail": exc.detail}, status_code=exc.status_code)


def _add_read_routes(app: FastAPI, database: Database, registry: dict[str, Outlet]) -> None:
    @app.get("/search")
    def search(
        q: str | None = None, outlet: str | None = None, province: str | None = None,
        section: str | None = None, author: str | None = None,
        since: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
        until: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
        limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT_MAX)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
        as_of: Annotated[int | None, Query(ge=0, le=MAX_ARTICLE_ID,
                                           description="the as_of of the first page")] = None,
        collapse: bool = False,
        include_flagged: bool = False,
    ) -> dict[str, Any]:
        """Ranked hits for ``q`` (diacritics optional), or the newest articles without it; one page."""
        try:
            since_day, until_day = parse_range(since, until, ("since", "until"))
        except ValueError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from None
        if offset + limit > SEARCH_DEPTH_MAX:
            raise ApiError(422, "invalid_request", f"offset + limit may not pass {SEARCH_DEPTH_MAX}")
        if q is not None and parse_query(q).only_excluded:
            raise ApiError(422, "invalid_request", "the query only excludes (-word): add a word to search for")
        with database.read_session() as session:
            try:
                check_filters(session, registry, outlet=outlet, province=province, section=section)
            except FilterError as exc:
                raise ApiError(422, "invalid_request", str(exc)) from None
            page = find_articles(
                session, q, limit=limit, offset=offset, as_of=as_of, collapse=collapse,
                include_flagged=include_flagged, outlet=outlet, since=since_day, until=until_day,
                province=province, section=section, author=author)
        return {"total": page.total, "total_exact": page.total_exact, "offset": page.offset, "limit": page.limit,
                "count": len(page.records), "as_of": page.as_of, "loose": page.loose,
                # Set when only the newest N articles were searched (a query of very common words).
                "searched_newest": page.newest_only, "results": page.records}

    @app.get("/articles/{article_id}")
    def article(article_id: Annotated[int, Path(ge=1, le=MAX_ARTICLE_ID)]) -> dict[str, Any]:
        with database.read_session() as session:
            record = show_article(session, str(article_id))
        if record is None:
            raise ApiError(404, "not_found", f"no article {article_id}")
        return record


def _add_scrape_route(app: FastAPI, config: ApiConfig, allow: Allowlist) -> Callable[[str], dict[str, Any]]:
    """``POST /scrape``; returns its guarded runner, which the web app's form uses too."""
    slots = threading.BoundedSemaphore(config.max_scrapes)

    def guarded_scrape(url: str) -> dict[str, Any]:
        refusal = check_user_url(url, allow_private=config.allow_private, allow=allow)
        if refusal:
            raise _blocked(refusal.reason, refusal.detail)
        if not slots.acquire(blocking=False):
            raise ApiError(429, "busy", f"{config.max_scrapes} scrapes are already running; retry later")
        try:
            return run_scrape(url, config)
        finally:
            slots.release()

    @app.post("/scrape")
    def scrape(body: ScrapeRequest) -> dict[str, Any]:
        """Fetch, extract and store one URL; refused URLs are never requested."""
        return guarded_scrape(body.url)

    return guarded_scrape


def _web_scrape(scrape: Callable[[str], dict[str, Any]]) -> Callable[[str], ScrapeOutcome]:
    """The runner in the web form's terms: an ApiError becomes the outcome it shows."""
    def run(url: str) -> ScrapeOutcome:
        try:
            return ScrapeOutcome(True, ids=scrape(url)["ids"])
        except ApiError as exc:
            return ScrapeOutcome(False, reason=exc.body.get("reason") or exc.body["error"],
                                 detail=str(exc.body["detail"]))
    return run


def _blocked(reason: str, detail: str, **extra: Any) -> ApiError:
    status = 400 if reason in MALFORMED_REASONS else 403
    return ApiError(status, "blocked_by_policy", detail, reason=reason, **extra)


def scrape_command(url: str, config: ApiConfig) -> list[str]:
    flags = ["--allow-private"] if config.allow_private else []
    # "--" so that no URL can be read as an option.
    return [sys.executable, "-m", "crawler", "scrape", "--db", config.db_url, "--format", "json", *flags, "--", url]


def run_scrape(url: str, config: ApiConfig) -> dict[str, Any]:
    """Run ``provnews scrape`` on ``url``; its stored articles, or its failure as an ApiError."""
    # The child's allowlist is ours, and wide lines keep its one-line messages whole.
    env = {**os.environ, **as_environment({"PROVNEWS_EGRESS_ALLOW": list(config.egress_allow)}), "COLUMNS": "10000"}
    try:
        proc = subprocess.run(scrape_command(url, config), check=False, capture_output=True, text=True, env=env,
                              timeout=config.scrape_timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ApiError(504, "scrape_timeout", f"no result within {config.scrape_timeout:g} s") from None
    if proc.returncode == ExitCode.OK:
        articles = json.loads(proc.stdout)
        articles = articles if isinstance(articles, list) else [articles]
        return {"status": "stored", "ids": [a["id"] for a in articles], "articles": articles}
    raise _scrape_error(proc.returncode, proc.stderr)


def _scrape_error(code: int, stderr: str) -> ApiError:
    detail = "; ".join(_REPORT_LINE.findall(stderr)) or stderr.strip()[-500:]
    reasons = list(dict.fromkeys(_FAILED_REASON.findall(stderr) + _DROPPED_REASON.findall(stderr)))
    if code == ExitCode.REFUSED:
        return _blocked(next((r for r in REFUSAL_REASONS if r in stderr), "refused"), detail, exit_code=code)
    status, error_code = SCRAPE_FAILURES.get(code, (HTTPStatus.INTERNAL_SERVER_ERROR, "scrape_failed"))
    return ApiError(status, error_code, detail, exit_code=code, reasons=reasons)
