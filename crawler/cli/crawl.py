"""Commands that fetch: ``demo``, ``crawl`` and ``scrape``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crawler.cli.options import (
    ArchiveOption,
    DbOption,
    MirrorOption,
    SourcesOption,
    registry_or_exit,
)
from crawler.cli.output import (
    ExitCode,
    RecordFormat,
    fail,
    print_json,
    print_table,
    stderr,
)
from crawler.core.outcome import combine
from crawler.core.registry import Outlet
from crawler.fetching.egress import Allowlist, check_user_url
from crawler.mirror.server import MirrorServer, mirrored_hosts
from crawler.services.crawl import CrawlOptions, CrawlReport, run_spiders
from crawler.services.exit_codes import outcome_exit
from crawler.settings import from_environment
from crawler.spiders.outlet import ROUTES, OutletSpider
from crawler.spiders.urls import UrlSpider
from storage.database import open_database
from storage.engine import StorageError, database_url, safe_url
from storage.queries import count_articles
from storage.queries import search as search_articles


class _Counter:
    def __init__(self, progress: Progress, task: int):
        self.progress, self.task = progress, task
        self.counts = {"response": 0, "item": 0, "drop": 0}

    def __call__(self, event: str) -> None:
        self.counts[event] += 1
        c = self.counts
        self.progress.update(self.task, description=(
            f"{c['response']} pages fetched · {c['item']} articles stored · {c['drop']} dropped"))


@contextmanager
def _progress(label: str) -> Iterator[_Counter]:
    columns = (SpinnerColumn(), TextColumn(f"[bold]{label}[/] {{task.description}}"), TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=False) as progress:
        yield _Counter(progress, progress.add_task("starting", total=None))


def _check_database(url: str) -> None:
    """Open (and migrate) the database before crawling, so a bad URL fails fast."""
    try:
        open_database(url).engine.dispose()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)


def _all_keys(registry: dict[str, Outlet], mirror: str | None) -> list[str]:
    """Every outlet; with --mirror, every outlet the mirror actually serves."""
    if not mirror:
        return list(registry)
    try:
        hosts = set(mirrored_hosts(mirror))
    except (OSError, ValueError) as exc:
        fail(f"mirror {mirror} does not answer: {exc}", ExitCode.FAILURE)
    return [key for key, outlet in registry.items() if outlet.host in hosts]


def _crawl_outlets(keys: list[str], options: CrawlOptions,
                   routes: Sequence[str] | None = None) -> list[CrawlReport]:
    # Without --route the spider plans the routes from the outlet's history (crawler.discovery.routing).
    chosen = {"routes": list(routes)} if routes else {}
    jobs = [(key, OutletSpider, {"outlet": key, **chosen}) for key in keys]
    with _progress("crawling " + ", ".join(keys)) as counter:
        return run_spiders(jobs, options, on_event=counter)


def _print_reports(reports: list[CrawlReport]) -> None:
    rows = []
    for r in reports:
        counts = r.counts()
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(r.errors().items())) or "-"
        dropped = ", ".join(sorted({reason for _, reason in r.dropped})) or "-"
        rows.append([r.name, r.outcome(), counts["requests"], counts["new"], counts["updated"],
                     counts["duplicates"], f"{len(r.dropped)} ({dropped})" if r.dropped else "0", errors])
    print_table("Crawl summary", ["outlet", "outcome", "requests", "new", "updated", "unchanged",
                                  "dropped", "errors"], rows)


def _exit_with_outcome(reports: list[CrawlReport]) -> None:
    """The command's exit code is its crawls' outcome (crawler.core.outcome)."""
    code = outcome_exit(combine(r.outcome() for r in reports))
    if code:
        raise typer.Exit(code)


def crawl(
    outlets: Annotated[list[str] | None, typer.Argument(help="Outlet keys (see `provnews sources list`).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Crawl every outlet in the registry.")] = False,
    since: Annotated[str | None, typer.Option(help="Skip articles published before YYYY-MM-DD.")] = None,
    recheck_days: Annotated[float | None, typer.Option(
        help="Re-fetch articles published within N days to catch revisions (default 3; 0: never).")] = None,
    route: Annotated[list[str] | None, typer.Option(
        help="Only this discovery route: feed, sitemap or listing (repeatable; default: the routes "
             "the outlet's recent runs found useful, in order of yield).")] = None,
    mirror: MirrorOption = None,
    sources: SourcesOption = None,
    db: DbOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Scrapy's log.")] = False,
    archive: ArchiveOption = True,
) -> None:
    """Crawl outlets: their feeds, sitemaps and listing pages, into the database.

    Example: [bold]provnews crawl baolangson --since 2025-01-01[/]
    """
    registry = registry_or_exit(sources)
    keys = _all_keys(registry, mirror) if all_ else (outlets or [])
    if not keys:
        fail("name at least one outlet, or pass --all", ExitCode.USAGE)
    unknown = [k for k in keys if k not in registry]
    if unknown:
        fail(f"unknown outlet(s): {', '.join(unknown)} (see `provnews sources list`)", ExitCode.NOT_FOUND)
    if since:
        try:
            date.fromisoformat(since)
        except ValueError:
            fail(f"--since {since!r} is not a date of the form YYYY-MM-DD", ExitCode.USAGE)
    bad_routes = sorted(set(route or ()) - set(ROUTES))
    if bad_routes:
        fail(f"unknown route(s) {', '.join(bad_routes)}; choose from {', '.join(ROUTES)}", ExitCode.USAGE)
    url = database_url(db)
    _check_database(url)
    options = CrawlOptions(url, mirror=mirror, sources=str(sources) if sources else None,
                           since=since, log_level="INFO" if verbose else "WARNING", recheck_days=recheck_days,
                           archive=archive)
    reports = _crawl_outlets(keys, options, routes=route)
    _print_reports(reports)
    _exit_with_outcome(reports)


def scrape(
    urls: Annotated[list[str], typer.Argument(help="Article URLs to fetch, extract and store.")],
    format_: Annotated[RecordFormat, typer.Option(
        "--format", help="table or json (a list, whatever the number of URLs).")] = RecordFormat.table,
    mirror: MirrorOption = None,
    sources: SourcesOption = None,
    db: DbOption = None,
    allow_private: Annotated[bool, typer.Option(
        "--allow-private",
        help="Allow loopback, private and reserved addresses and any port (off by default: "
             "URLs given here could otherwise reach internal services).")] = False,
) -> None:
    """Fetch, extract and store one-off article URLs.

    Only http and https URLs on ports 80/443 whose addresses are public are fetched,
    redirects included; a refused URL exits with code 6.

    Example: [bold]provnews scrape https://baolangson.vn/hanh-trinh-hoi-nhap-bat-dau-tu-ren-luyen-5071654.html --format json[/]
    """
    registry_or_exit(sources)
    _refuse_unsafe_urls(urls, allow_private)
    url = database_url(db)
    _check_database(url)
    options = CrawlOptions(url, mirror=mirror, sources=str(sources) if sources else None,
                           user_urls=True, allow_private=allow_private)
    with _progress("scraping") as counter:
        (report,) = run_spiders([("scrape", UrlSpider, {"urls": urls})], options, on_event=counter)
    if report.interrupted:
        raise typer.Exit(ExitCode.INTERRUPTED)
    for dropped_url, reason in report.dropped:
        stderr.print(f"not stored: {dropped_url} ({reason})", highlight=False)
    for reason, count in report.errors().items():
        stderr.print(f"failed: {count} × {reason}", highlight=False)
    refused = sum(report.count(f"provnews/fetch/error/{r}") for r in _REFUSALS)
    records = [r.as_json() for r in report.stored]
    if format_ is RecordFormat.json:
        print_json(records)
    else:
        print_table("Scraped", ["id", "published_at", "title", "url"],
                    [[r["id"], r["published_at"], r["title"], r["url"]] for r in records])
    if refused:
        fail(f"{refused} request(s) refused by the egress guard (see the log above); "
             "--allow-private lifts the address check", ExitCode.REFUSED)
    if not records:
        raise typer.Exit(ExitCode.FAILURE)


_REFUSALS = ("blocked_address", "blocked_port", "blocked_redirect", "bad_scheme")


def _refuse_unsafe_urls(urls: list[str], allow_private: bool) -> None:
    """Refuse before any connection what needs no DNS to judge: scheme, port, IP literals.

    Host names are judged at connect time, on every address they resolve to."""
    allow = Allowlist.parse(from_environment().get("PROVNEWS_EGRESS_ALLOW", []))
    for target in urls:
        refusal = check_user_url(target, allow_private=allow_private, allow=allow)
        if refusal:
            fail(f"refused {target}: {refusal} (egress guard; --allow-private lifts the address "
                 "and port checks)", ExitCode.REFUSED)


DEMO_DATABASE_URL = "sqlite:///provnews-demo.db"


def demo(
    db: Annotated[str | None, typer.Option(
        "--db", help=f"SQLAlchemy database URL (default: {DEMO_DATABASE_URL}; PROVNEWS_DATABASE_URL is "
                     "not read, so the demo never writes into your own database).")] = None,
) -> None:
    """Crawl the bundled mirror of five outlets into a database of its own, ./provnews-demo.db.

    Serves the recordings on 127.0.0.1 (no network needed), crawls every mirrored
    outlet, then shows a summary and a sample search. The mirror's pages are
    recordings, some reconstructed, filed under the real outlets' URLs: keeping them
    out of your database keeps a later live crawl from taking them for fetched.

    Example: [bold]provnews demo[/]
    """
    registry = registry_or_exit(None)
    url = db or DEMO_DATABASE_URL
    _check_database(url)
    stderr.print(f"demo database: {safe_url(url)}", highlight=False)
    server = MirrorServer()
    server.start_background()
    keys = _all_keys(registry, server.url)
    stderr.print(f"mirror of {len(keys)} outlet(s) serving at {server.url}")
    try:
        reports = _crawl_outlets(keys, CrawlOptions(url, mirror=server.url))
    finally:
        server.shutdown()
    _print_reports(reports)
    if not any(r.interrupted for r in reports):
        _sample_search(url)
    _exit_with_outcome(reports)


def _sample_search(url: str) -> None:
    database = open_database(url)
    with database.session() as session:
        total = count_articles(session)
        hits = search_articles(session, "lang son", limit=5)
    print_table(f'Sample search: provnews search "lang son" --db {safe_url(url)} ({total} articles)',
                ["id", "outlet", "published_at", "title"],
                [[h.id, h.outlet, h.published_at.isoformat() if h.published_at else "", h.title] for h in hits])
