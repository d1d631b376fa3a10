"""Reading pages: search ``/``, an article ``/article/{id}``, its raw page, and export.

Search takes the JSON API's parameters (crawler.services.search does the work) as a GET
form, so every result page, filters and page number included, is a URL to bookmark.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from crawler.services.archive import page_of
from crawler.services.export import (
    WRITERS,
    ExportFormat,
    parquet_available,
    with_stories,
)
from crawler.services.search import (
    FilterError,
    check_filters,
    find_articles,
    parse_range,
    show_article,
)
from crawler.web import present
from crawler.web.app import Web, WebError
from crawler.web.security import RAW_HEADERS
from storage.archive import article_record
from storage.history import versions
from storage.queries import get_article, iter_articles
from storage.search import parse_query
from storage.stories import story_copies, story_outlets

PAGE_SIZE = 20
MAX_PAGE = 500                 # 500 × 20 = services.search.SEARCH_DEPTH_MAX
MAX_COPIES = 12                # copies of a story shown side by side
FILTERS = ("outlet", "province", "section", "author", "since", "until")
EXPORT_TYPES = {ExportFormat.csv: "text/csv; charset=utf-8", ExportFormat.jsonl: "application/x-ndjson",
                ExportFormat.parquet: "application/vnd.apache.parquet"}


@dataclass
class SearchForm:
    q: str | None
    filters: dict[str, str | None]
    page: int
    as_of: int | None

    @classmethod
    def from_query(cls, params: Any) -> SearchForm:
        def value(name: str) -> str | None:
            text = (params.get(name) or "").strip()
            return text or None

        page = value("page") or "1"
        as_of = value("as_of")
        if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
            raise WebError(422, "invalid", detail=f"page must be a number from 1 to {MAX_PAGE}")
        if as_of is not None and not as_of.isdigit():
            raise WebError(422, "invalid", detail="as_of must be an article id")
        return cls(value("q"), {name: value(name) for name in FILTERS}, int(page), int(as_of) if as_of else None)

    def days(self) -> tuple[date | None, date | None]:
        try:
            return parse_range(self.filters["since"], self.filters["until"], ("since", "until"))
        except ValueError as exc:
            raise WebError(422, "invalid", detail=str(exc)) from None


def add_routes(app: FastAPI, web: Web) -> None:
    @app.get("/", include_in_schema=False)
    def search_page(request: Request) -> Response:
        form = SearchForm.from_query(request.query_params)
        try:
            context = _search(web, form)
        except WebError as exc:
            context = {"form": form, "error": exc.values.get("detail"), "page": None}
            return web.render(request, "search.html", _with_choices(web, context), exc.status)
        return web.render(request, "search.html", _with_choices(web, context))

    @app.get("/article/{article_id}", include_in_schema=False)
    def article_page(request: Request, article_id: str) -> Response:
        ident = _article_id(article_id)
        with web.database.read_session() as session:
            context = _article(session, web, ident)
        return web.render(request, "article.html", context)

    @app.get("/article/{article_id}/raw", include_in_schema=False)
    def raw_page(article_id: str) -> Response:
        ident = _article_id(article_id)
        with web.database.read_session() as session:
            try:
                page = page_of(session, web.config.archive_dir, ident)
            except (OSError, ValueError, EOFError):
                page = None  # a pointer to a file since moved or damaged: `provnews archive verify` says which
        if page is None:
            raise WebError(404, "no_raw")
        # As text, never as HTML: the page is untrusted; its own charset decodes it.
        charset = _charset(page.header("content-type"))
        return Response(page.body, media_type=f"text/plain; charset={charset}" if charset else "text/plain",
                        headers=RAW_HEADERS)

    @app.get("/export.{fmt}", include_in_schema=False)
    def export(request: Request, fmt: str) -> Response:
        return _export(web, request, fmt)


def _article_id(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) < 2**63:
        raise WebError(404, "no_article", id=value)
    return int(value)


def _with_choices(web: Web, context: dict[str, Any]) -> dict[str, Any]:
    """The filter menus come from the registry, not from the database (no scan of 1M rows)."""
    outlets = sorted(web.registry.values(), key=lambda o: o.key)
    provinces = sorted({o.province for o in outlets})
    return {**context, "outlet_choices": [(o.key, o.name) for o in outlets], "province_choices": provinces,
            "export_formats": [f.value for f in EXPORT_TYPES if f is not ExportFormat.parquet or parquet_available()]}


def _search(web: Web, form: SearchForm) -> dict[str, Any]:
    since, until = form.days()
    if form.q and parse_query(form.q).only_excluded:
        raise WebError(422, "invalid", detail="the query only excludes (-word): add a word to search for")
    filters = {k: form.filters[k] for k in ("outlet", "province", "section", "author")}
    with web.database.read_session() as session:
        try:
            check_filters(session, web.registry, outlet=filters["outlet"], province=filters["province"],
                          section=filters["section"])
        except FilterError as exc:
            raise WebError(422, "invalid", detail=str(exc)) from None
        page = find_articles(session, form.q, limit=PAGE_SIZE, offset=(form.page - 1) * PAGE_SIZE,
                             as_of=form.as_of, since=since, until=until, **filters)
        others = story_outlets(session, [r["story_id"] for r in page.records if r["story_size"] > 1])
    results = [_result(r, page.hits.get(r["id"]), others) for r in page.records]
    last_page = min(MAX_PAGE, max(1, -(-page.total // PAGE_SIZE)))
    return {"form": form, "error": None, "page": page, "results": results, "last_page": last_page}


def _result(record: dict[str, Any], hit: Any, others: dict[int, set[str | None]]) -> dict[str, Any]:
    outlets = others.get(record["story_id"], set()) - {record["outlet"]}
    snippet = present.segments(hit.snippet, hit.highlights) if hit else None
    return {**record, "snippet_parts": snippet, "other_outlets": len(outlets)}


def _article(session: Session, web: Web, ident: int) -> dict[str, Any]:
    record = show_article(session, str(ident))
    if record is None:
        raise WebError(404, "no_article", id=ident)
    history = [{"version": v.version, "fetched_at": v.fetched_at, "title": v.title, "origin": v.origin,
                "lines": present.diff_lines(v.diff or "")} for v in versions(session, ident)]
    copies = []
    if record["story_size"] > 1:
        for copy in story_copies(session, record["story_id"])[:MAX_COPIES + 1]:
            other = get_article(session, copy.article_id) if copy.article_id != ident else None
            if other is not None:
                copies.append({"story_copy": copy, "summary": other.summary or (other.text or "")[:400]})
    pointer = article_record(session, ident)
    has_raw = pointer is not None and (web.config.archive_dir / pointer.file).exists()
    return {"a": record, "versions": history, "copies": copies[:MAX_COPIES], "has_raw": has_raw,
            "paragraphs": [p for p in (record["text"] or "").split("\n") if p.strip()]}


def _charset(content_type: str | None) -> str | None:
    """The charset a stored Content-Type names, if it is a plain token."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.strip().partition("=")
        value = value.strip().strip('"')
        if name.lower() == "charset" and value.replace("-", "").replace("_", "").isalnum():
            return value
    return None


def _export(web: Web, request: Request, fmt: str) -> Response:
    try:
        kind = ExportFormat(fmt)
        writer = WRITERS[kind]
    except (ValueError, KeyError):
        raise WebError(404, "not_found") from None
    if kind is ExportFormat.parquet and not parquet_available():
        raise WebError(404, "not_found")
    form = SearchForm.from_query(request.query_params)
    since, until = form.days()
    filters = {k: form.filters[k] for k in ("outlet", "province", "section", "author")}
    # Written whole to a temporary file first: a failure mid-way then answers an error,
    # not a truncated file that looks complete.
    fd, name = tempfile.mkstemp(prefix="provnews-export-", suffix=f".{fmt}")
    path = Path(name)
    try:
        with open(fd, "wb") as handle, web.database.read_session() as session:
            check_filters(session, web.registry, outlet=filters["outlet"], province=filters["province"],
                          section=filters["section"])
            writer(handle, with_stories(session, iter_articles(session, query=form.q, since=since, until=until,
                                                                 **filters)))
    except FilterError as exc:
        path.unlink(missing_ok=True)
        raise WebError(422, "invalid", detail=str(exc)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=EXPORT_TYPES[kind], filename=f"provnews-export.{fmt}",
                        background=BackgroundTask(path.unlink, missing_ok=True))
