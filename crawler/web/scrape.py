"""The scrape form ``/scrape/new``: one URL, behind the same egress guard and runner as
``POST /scrape`` (crawler.api hands them over as WebConfig.scrape).

It writes, so it answers only when the server allows it (``serve --web-scrape``) and
PROVNEWS_WEB_TOKEN is set; a POST needs a valid CSRF token (crawler.web.security)
and the write token, checked in that order before the URL is even read.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from crawler.web.app import ScrapeOutcome, Web
from crawler.web.security import CSRF_COOKIE, CSRF_FIELD, token_matches

MAX_URL_LENGTH = 2083


def add_routes(app: FastAPI, web: Web) -> None:
    @app.get("/scrape/new", include_in_schema=False)
    def scrape_form(request: Request) -> Response:
        return _form(web, request, {})

    @app.post("/scrape/new", include_in_schema=False)
    async def scrape_submit(request: Request) -> Response:
        form = await request.form()
        fields = {name: value if isinstance(value, str) else None for name, value in form.items()}
        if not web.csrf.valid(fields.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE)):
            return _form(web, request, {"message": "bad_csrf"}, 403)
        if web.config.scrape is None or not web.config.token:
            return _form(web, request, {"message": "scrape_off" if web.config.scrape is None else "read_only"}, 403)
        if not token_matches(fields.get("token"), web.config.token):
            return _form(web, request, {"message": "bad_token"}, 403)
        url = (fields.get("url") or "").strip()[:MAX_URL_LENGTH]
        # The runner blocks for the whole scrape (a subprocess): off the event loop.
        outcome: ScrapeOutcome = await run_in_threadpool(web.config.scrape, url)
        status = 200 if outcome.ok else 403 if outcome.reason and outcome.reason.startswith(("blocked", "bad_")) \
            else 502
        return _form(web, request, {"url": url, "outcome": outcome}, status)


def _form(web: Web, request: Request, context: dict[str, Any], status: int = 200) -> Response:
    """The form, with a fresh CSRF nonce in a cookie and its signed token in the page."""
    nonce = web.csrf.new_nonce()
    enabled = web.config.scrape is not None and bool(web.config.token)
    response = web.render(request, "scrape.html", {
        "enabled": enabled, "scrape_allowed": web.config.scrape is not None, "has_token": bool(web.config.token),
        "csrf_field": CSRF_FIELD, "csrf_token": web.csrf.token(nonce), "url": "", "outcome": None,
        "message": None, **context}, status)
    response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/scrape/new")
    return response
