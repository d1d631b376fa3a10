"""Commands over what crawls left behind: ``history``, ``story`` and ``runs``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from crawler.cli.options import DbOption
from crawler.cli.output import (
    LOCAL_ZONE,
    ExitCode,
    Format,
    FormatOption,
    RecordFormat,
    RecordFormatOption,
    fail,
    local_minute,
    print_json,
    print_rows,
    print_table,
    stdout,
)
from storage import crawlstate
from storage.database import open_database
from storage.engine import StorageError, database_url
from storage.history import versions
from storage.stories import stories_of, story_copies

IdArgument = Annotated[int, typer.Argument(metavar="ID", help="Article id (see `provnews search`).")]


def history(ident: IdArgument, format_: RecordFormatOption = RecordFormat.table,
            db: DbOption = None) -> None:
    """Show every version of an article's text, with a word diff to the one before.

    Example: [bold]provnews history 12[/]
    """
    try:
        with open_database(database_url(db), create=False).read_session() as session:
            rows = [{"version": v.version, "fetched_at": v.fetched_at.isoformat() if v.fetched_at else None,
                     "title": v.title, "content_hash": v.content_hash, "diff": v.diff}
                    for v in versions(session, ident)]
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if not rows:
        fail(f"no article {ident} (or no stored text)", ExitCode.NOT_FOUND)
    if format_ is RecordFormat.json:
        print_json(rows)
        return
    for row in rows:
        fetched = local_minute(datetime.fromisoformat(row["fetched_at"]) if row["fetched_at"] else None)
        stdout.rule(f"version {row['version']} · fetched {fetched} ({LOCAL_ZONE}) · {row['title']}")
        stdout.print(row["diff"] or "(first version)", markup=False, highlight=False)


def story(ident: IdArgument, format_: RecordFormatOption = RecordFormat.table,
          db: DbOption = None) -> None:
    """List every copy of the article's story: outlet, date and similarity.

    Example: [bold]provnews story 12 --format json[/]
    """
    try:
        with open_database(database_url(db), create=False).read_session() as session:
            story_id = stories_of(session, [ident]).get(ident)
            copies = story_copies(session, story_id) if story_id is not None else []
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if not copies:
        fail(f"article {ident} has no story (unknown id, or a text too short to compare)", ExitCode.NOT_FOUND)
    rows = [{"id": c.article_id, "outlet": c.outlet, "published_at": c.published_at.isoformat() if c.published_at
             else None, "similarity": round(c.similarity, 3), "title": c.title, "url": c.url} for c in copies]
    if format_ is RecordFormat.json:
        print_json({"story_id": story_id, "copies": rows})
    else:
        print_table(f"Story {story_id}: {len(rows)} cop{'y' if len(rows) == 1 else 'ies'}",
                    list(rows[0]), [list(r.values()) for r in rows])


def runs(outlet: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
         limit: Annotated[int, typer.Option(min=1, help="At most this many runs, newest first.")] = 20,
         format_: FormatOption = Format.table, db: DbOption = None) -> None:
    """The crawl ledger: what each run requested, found, stored and failed on.

    Example: [bold]provnews runs --outlet baolangson --format json[/]
    """
    try:
        with open_database(database_url(db), create=False).read_session() as session:
            runs_ = crawlstate.recent_runs(session, outlet, limit)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if print_rows(format_, [{"id": r.id, "outlet": r.outlet, "trigger": r.trigger, "status": r.status,
                     "started_at": r.started_at.isoformat(), "finished_at": r.finished_at.isoformat()
                     if r.finished_at else None, "requests": r.requests, "discovered": r.discovered,
                     "fetched": r.fetched, "new": r.new, "updated": r.updated, "duplicates": r.duplicates,
                     "dropped": r.dropped, "blocked": r.blocked, "errors": r.errors, "routes": r.routes,
                     "interval_minutes": r.interval_minutes, "host": r.host, "worker": r.worker,
                     "mirror": r.mirror} for r in runs_]):
        return
    # Most telling first: at 80 columns the last ones are left out (json has them all).
    print_table("Crawl runs", ["outlet", "status", f"started ({LOCAL_ZONE})", "requests", "new", "errors",
                               "updated", "fetched", "dropped", "trigger", "worker", "id"],
                [[r.outlet, r.status, local_minute(r.started_at), r.requests, r.new,
                  ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "-", r.updated, r.fetched, r.dropped,
                  f"{r.trigger} (mirror)" if r.mirror else r.trigger, r.worker or "-", r.id] for r in runs_])
