"""``provnews schedule``: run the crawl scheduler and look after its jobs.

``run`` is the daemon (a subprocess per crawl: a Twisted reactor cannot restart); ``list``,
``pause`` and ``resume`` edit the job store in the project database through a
scheduler started paused (it never runs jobs), so they work while the daemon runs
and take effect there within one heartbeat (the
editor has no loop thread of its own: see ``JobStoreEditor``); ``trigger`` runs one crawl now through
the same subprocess path as the scheduled runs.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine

from crawler.cli.options import (
    BrokerOption,
    DbOption,
    MirrorOption,
    SourcesOption,
    registry_or_exit,
)
from crawler.cli.output import (
    ExitCode,
    Format,
    FormatOption,
    RecordFormat,
    RecordFormatOption,
    fail,
    print_json,
    print_rows,
    print_table,
    stderr,
)
from crawler.scheduling import (
    JobStoreEditor,
    LockHeld,
    ScheduleError,
    SchedulerService,
    build_scheduler,
    job_rows,
    plan_jobs,
    run_crawl,
)
from crawler.scheduling.lock import current_holder
from crawler.scheduling.runs import DEFAULT_TIME_LIMIT_S
from crawler.services.exit_codes import outcome_exit
from storage.database import open_database
from storage.engine import StorageError, database_url, make_engine

schedule_app = typer.Typer(help="Crawl outlets on their schedules (cron or interval, per outlet).",
                           no_args_is_help=True)

TimeLimitOption = Annotated[int, typer.Option(
    "--time-limit", min=1, help="Stop a crawl (its whole process group) after this many seconds.")]
OutletArgument = Annotated[str, typer.Argument(help="Outlet key (see `provnews schedule list`).")]


def _check_database(url: str) -> None:
    try:
        open_database(url).close()
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)


@contextmanager
def _job_store(db: str | None) -> Iterator[tuple[BaseScheduler, Engine]]:
    """The job store behind a ``JobStoreEditor``: it edits jobs, never runs them."""
    engine = None
    try:
        engine = make_engine(database_url(db))
        scheduler = build_scheduler(engine, scheduler_class=JobStoreEditor, max_parallel=1)
        scheduler.start(paused=True)
    except StorageError as exc:
        if engine is not None:
            engine.dispose()
        fail(str(exc), ExitCode.DATABASE)
    try:
        yield scheduler, engine
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()


def _absolute(sources: Path | None) -> str | None:
    """Stored in the job: the same file whatever directory the scheduler is started from."""
    return str(sources.resolve()) if sources else None


def _no_job(outlet: str) -> None:
    fail(f"no scheduled job for outlet {outlet!r}; `provnews schedule run` creates one per outlet "
         "(see `provnews schedule list`)", ExitCode.NOT_FOUND)


@schedule_app.command()
def run(
    outlets: Annotated[list[str] | None, typer.Argument(
        help="Schedule only these outlets (default: every outlet of the registry).")] = None,
    db: DbOption = None,
    sources: SourcesOption = None,
    mirror: MirrorOption = None,
    time_limit: TimeLimitOption = DEFAULT_TIME_LIMIT_S,
    max_parallel: Annotated[int, typer.Option(
        "--max-parallel", min=1, help="Crawls that may run at the same time.")] = 4,
    broker: BrokerOption = None,
) -> None:
    """Run the scheduler in the foreground until SIGTERM or Ctrl-C; logs go to stderr.

    One job per outlet, from its registry `schedule` (cron or interval_minutes, in
    the outlet's time zone; every 60 minutes when absent). Jobs live in the
    database (table apscheduler_jobs), so a restart neither loses nor duplicates
    them, and a run missed while the scheduler was down is made up once. Only one
    scheduler may run per database. With a broker, each run is a job for the
    workers (`provnews worker`) instead of a crawl on this machine.

    Example: [bold]provnews schedule run --db sqlite:///provnews.db --time-limit 1800[/]
    """
    registry = registry_or_exit(sources)
    try:
        specs = plan_jobs(registry, outlets)
    except ScheduleError as exc:
        fail(str(exc), ExitCode.SOURCES)
    url = database_url(db)
    _check_database(url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    service = SchedulerService(url, specs, sources=_absolute(sources), mirror=mirror,
                               time_limit_s=time_limit, max_parallel=max_parallel, only=bool(outlets),
                               broker_url=broker)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: service.stop())
    try:
        service.run()
    except LockHeld as exc:
        fail(f"not starting: {exc}", ExitCode.FAILURE)
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    if service.lost_lock:
        raise typer.Exit(ExitCode.FAILURE)


@schedule_app.command("list")
def list_(
    db: DbOption = None,
    sources: SourcesOption = None,
    format_: FormatOption = Format.table,
) -> None:
    """List the scheduled jobs (cadence in use, next run in +07:00, paused), and the
    registry's plan for outlets that have no job yet.

    Example: [bold]provnews schedule list --format json[/]
    """
    try:
        specs = plan_jobs(registry_or_exit(sources))
    except ScheduleError as exc:
        fail(str(exc), ExitCode.SOURCES)
    with _job_store(db) as (scheduler, engine):
        rows = job_rows(scheduler, specs)
        holder = current_holder(engine)
    if holder:
        stderr.print(f"scheduler running: {holder.describe(time.time())}", highlight=False)
    else:
        stderr.print("no scheduler is running on this database", highlight=False)
    if not print_rows(format_, rows):
        if not any(r["scheduled"] for r in rows):
            stderr.print("no jobs yet: the plan below is the registry's; `provnews schedule run` creates "
                         "the jobs", highlight=False)
        print_table("Scheduled crawls", ["outlet", "cadence", "next run (+07:00)", "state", "time limit"],
                    [[r["outlet"], r["cadence"], r["next_run"] or "-",
                      "paused" if r["paused"] else ("scheduled" if r["scheduled"] else "planned"),
                      f"{r['time_limit_s']} s" if r["time_limit_s"] else "-"] for r in rows])


@schedule_app.command()
def pause(outlet: OutletArgument, db: DbOption = None) -> None:
    """Pause an outlet's scheduled crawls (kept across restarts, until resumed).

    Example: [bold]provnews schedule pause baolangson[/]
    """
    with _job_store(db) as (scheduler, _):
        try:
            scheduler.pause_job(outlet)
        except JobLookupError:
            _no_job(outlet)
    stderr.print(f"paused {outlet}", highlight=False)


@schedule_app.command()
def resume(outlet: OutletArgument, db: DbOption = None) -> None:
    """Resume a paused outlet: its next run is the next slot of its schedule.

    Example: [bold]provnews schedule resume baolangson[/]
    """
    with _job_store(db) as (scheduler, _):
        try:
            scheduler.resume_job(outlet)
        except JobLookupError:
            _no_job(outlet)
        job = scheduler.get_job(outlet)
    when = job.next_run_time.isoformat(timespec="seconds") if job and job.next_run_time else "never"
    stderr.print(f"resumed {outlet}; next run {when}", highlight=False)


@schedule_app.command()
def trigger(
    outlet: OutletArgument,
    db: DbOption = None,
    sources: SourcesOption = None,
    mirror: MirrorOption = None,
    time_limit: TimeLimitOption = DEFAULT_TIME_LIMIT_S,
    format_: RecordFormatOption = RecordFormat.table,
) -> None:
    """Crawl one outlet now and print the outcome: ok, partial, failed, interrupted or
    timed_out; the exit code is the outcome's (see the README's exit codes).

    The crawl runs as a scheduled run would (a subprocess with a time limit) and
    the command waits for it; the job's schedule is not changed.

    Example: [bold]provnews schedule trigger baolangson --time-limit 600[/]
    """
    registry = registry_or_exit(sources)
    if outlet not in registry:
        fail(f"unknown outlet {outlet!r} (see `provnews sources list`)", ExitCode.NOT_FOUND)
    url = database_url(db)
    _check_database(url)
    result = run_crawl(outlet, database_url=url, sources=_absolute(sources), mirror=mirror,
                       time_limit_s=time_limit)
    if result.output_tail.strip():
        stderr.out(result.output_tail.rstrip(), highlight=False)
    if format_ is RecordFormat.json:
        print_json({k: v for k, v in result.as_json().items() if k != "output_tail"})
    else:
        print_table("Triggered crawl", ["outlet", "outcome", "exit code", "seconds"],
                    [[result.outlet, result.outcome, result.exit_code, f"{result.elapsed_s:.1f}"]])
    if result.outcome != "ok":
        raise typer.Exit(outcome_exit(result.outcome))
