"""The web app's plumbing: its configuration, the Jinja2 environment (autoescape on for
every template), rendering with the security headers, the language of a request, and
the error page.

The pages themselves are in crawler.web.pages (search, article, export), crawler.web.outlets
and crawler.web.scrape; each gathers plain data inside one read session and hands it
to a template, so no template touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from crawler.core.registry import Outlet
from crawler.web import i18n, present
from crawler.web.security import HEADERS, Csrf
from storage.engine import Database

HERE = Path(__file__).parent


@dataclass(frozen=True)
class ScrapeOutcome:
    """What the scrape form shows: the stored ids, or why nothing was stored."""

    ok: bool
    ids: list[int] = field(default_factory=list)
    reason: str | None = None    # the egress guard's reason code (bad_scheme, blocked_address, …) or error code
    detail: str = ""


@dataclass(frozen=True)
class WebConfig:
    archive_dir: Path            # the raw archive (PROVNEWS_ARCHIVE_DIR, else beside the SQLite file)
    # The same egress guard and runner as POST /scrape (crawler.api); None: the form is off.
    scrape: Callable[[str], ScrapeOutcome] | None = None
    # PROVNEWS_WEB_TOKEN: without it the app writes nothing.
    token: str | None = None


@dataclass
class Web:
    """What every page handler needs."""

    database: Database
    registry: dict[str, Outlet]
    config: WebConfig
    csrf: Csrf
    templates: jinja2.Environment

    def render(self, request: Request, name: str, context: Mapping[str, Any], status: int = 200,
               headers: Mapping[str, str] | None = None) -> HTMLResponse:
        lang = language(request)
        other = next(code for code in i18n.LANGUAGES if code != lang)
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", other)]
        page = self.templates.get_template(name).render(
            request=request, lang=lang, t=lambda message, /, **v: i18n.translate(lang, message, **v),
            other_lang=other, lang_url=f"{request.url.path}?{urlencode(params)}",
            link=lambda path, **params: link(request, path, **params), **context)
        return HTMLResponse(page, status_code=status, headers={**HEADERS, **(headers or {})})


class WebError(Exception):
    """A page that cannot be shown: rendered as error.html with ``status``."""

    def __init__(self, status: int, message: str, **values: object) -> None:
        super().__init__(message)
        self.status, self.message, self.values = status, message, values


def language(request: Request) -> str:
    return i18n.choose(request.query_params.get("lang"), request.headers.get("accept-language"))


def link(request: Request, path: str, **params: object) -> str:
    """``path`` with ``params`` (empty ones left out) and the ``lang`` the URL was given, if any."""
    lang = request.query_params.get("lang")
    query = {k: v for k, v in params.items() if v not in (None, "", False)}
    if lang in i18n.LANGUAGES and "lang" not in query:
        query["lang"] = lang
    return path + ("?" + urlencode(query) if query else "")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(safe_href=present.safe_href, day_first=present.day_first, iso=present.iso)
    return env
