"""``provnews worker``, ``provnews enqueue`` and ``provnews workers``: crawls and
re-extractions on Celery workers (``crawler.workers``), one PostgreSQL for all."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer
from kombu.exceptions import OperationalError

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
    day_or_exit,
    fail,
    print_rows,
    print_table,
    stderr,
)
from crawler.scheduling.runs import DEFAULT_TIME_LIMIT_S
from crawler.settings import PROVNEWS_BROKER_VISIBILITY_TIMEOUT
from crawler.workers.app import QUEUES, make_app
from crawler.workers.enqueue import (
    VISIBILITY_ENV,
    enqueue_crawl,
    enqueue_reextract,
    live_workers,
)
from crawler.workers.jobs import register
from storage.database import open_database
from storage.engine import DATABASE_URL_ENV, StorageError, database_url

TimeLimitOption = Annotated[int, typer.Option(
    "--time-limit", min=1, help="Stop the job (its whole process group) after this many seconds.")]
VisibilityOption = Annotated[int, typer.Option(
    "--visibility-timeout", envvar=VISIBILITY_ENV, show_envvar=True, min=1,
    help="Redis only: seconds before a job not yet acknowledged goes to another worker; keep it above "
         "the longest job (the time limit).")]

enqueue_app = typer.Typer(help="Put one-off jobs on the broker for the workers.", no_args_is_help=True)


def _broker_or_exit(broker: str | None) -> str:
    if not broker:
        fail("no broker: give --broker redis://host:6379/0 (or amqp://…), or set PROVNEWS_BROKER_URL",
             ExitCode.USAGE)
    return broker


def worker(
    broker: BrokerOption = None,
    db: DbOption = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs this worker runs at once.")] = 1,
    queues: Annotated[str, typer.Option(
        help="Comma-separated queues to take jobs from: crawl, extract.")] = ",".join(QUEUES),
    name: Annotated[str | None, typer.Option(
        help="Worker name, recorded on each crawl it runs (default: provnews-PID@HOST).")] = None,
    visibility_timeout: VisibilityOption = PROVNEWS_BROKER_VISIBILITY_TIMEOUT,
    log_level: Annotated[str, typer.Option(help="Celery's log level.")] = "INFO",
) -> None:
    """Run a Celery worker: crawl and re-extraction jobs from the broker, until SIGTERM.

    Each job runs in its own process with its time limit, as a scheduled crawl does;
    a crawl holds its outlet's lock in the database, so one outlet is crawled by one
    worker at a time. A worker killed mid-job has its job redelivered to another.
    SIGTERM waits for the running jobs; a second SIGTERM stops at once (the jobs go
    back to the broker).

    Example: [bold]provnews worker --broker redis://10.0.0.5:6379/0 --db postgresql+psycopg://u:p@10.0.0.4/provnews --concurrency 2[/]
    """
    url = _broker_or_exit(broker)
    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in chosen if q not in QUEUES]
    if unknown or not chosen:
        fail(f"unknown queue(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(QUEUES)}", ExitCode.USAGE)
    db_url = database_url(db)
    try:
        open_database(db_url).close()  # creates or upgrades the schema once, before any job
    except StorageError as exc:
        fail(str(exc), ExitCode.DATABASE)
    # The jobs' subprocesses read the database URL from the environment: never on a command line.
    os.environ[DATABASE_URL_ENV] = db_url
    app = make_app(url, visibility_timeout)
    register(app)
    # The threads pool: a job mostly waits for its subprocess, and the subprocess is the
    # worker's own child, so it can be made to die with the worker (crawler.workers.jobs).
    app.worker_main(["worker", "--pool", "threads", "--concurrency", str(concurrency), "--queues", ",".join(chosen),
                     "--hostname", name or f"provnews-{os.getpid()}@{socket.gethostname()}",
                     "--loglevel", log_level, "--without-gossip", "--without-mingle"])


def workers(
    broker: BrokerOption = None,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds to wait for the workers' answers.")] = 2.0,
    format_: FormatOption = Format.table,
) -> None:
    """List the live workers and the job each is running (Celery's inspect).

    Example: [bold]provnews workers --broker redis://10.0.0.5:6379/0[/]
    """
    app = make_app(_broker_or_exit(broker))
    try:
        rows = live_workers(app, timeout)
    except (OSError, OperationalError) as exc:
        fail(f"the broker does not answer: {exc}", ExitCode.FAILURE)
    if print_rows(format_, rows):
        return
    if not rows:
        stderr.print(f"no worker answered within {timeout:g} s", highlight=False)
    print_table("Workers", ["worker", "jobs"],
                [[r["worker"], "; ".join(f"{j['kind']} {j['args']}" for j in r["jobs"]) or "idle"] for r in rows])


@enqueue_app.command("crawl")
def enqueue_crawl_command(
    outlets: Annotated[list[str], typer.Argument(help="Outlet keys (see `provnews sources list`).")],
    broker: BrokerOption = None,
    since: Annotated[str | None, typer.Option(help="Only articles published on or after YYYY-MM-DD.")] = None,
    sources: SourcesOption = None,
    mirror: MirrorOption = None,
    time_limit: TimeLimitOption = DEFAULT_TIME_LIMIT_S,
) -> None:
    """Enqueue one crawl job per outlet for the workers; prints each job's id.

    Example: [bold]provnews enqueue crawl baolangson baocaobang --since 2025-01-01[/]
    """
    registry = registry_or_exit(sources)
    unknown = [k for k in outlets if k not in registry]
    if unknown:
        fail(f"unknown outlet(s) {', '.join(unknown)} (see `provnews sources list`)", ExitCode.NOT_FOUND)
    day_or_exit(since, "--since")
    app = make_app(_broker_or_exit(broker))
    # The path goes in the job as it is: a worker reads it on its own machine.
    path = str(sources.resolve()) if sources else None
    try:
        for outlet in dict.fromkeys(outlets):
            job = enqueue_crawl(app, outlet, sources=path, mirror=mirror, time_limit_s=time_limit, since=since)
            typer.echo(f"{outlet}\t{job}")
    except (OSError, OperationalError) as exc:
        fail(f"the broker does not answer: {exc}", ExitCode.FAILURE)


@enqueue_app.command("reextract")
def enqueue_reextract_command(
    broker: BrokerOption = None,
    outlet: Annotated[str | None, typer.Option(help="Only this outlet key.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    ids: Annotated[str | None, typer.Option(help="Only these article ids (comma separated).")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Also articles the current extractor already produced.")] = False,
    time_limit: TimeLimitOption = DEFAULT_TIME_LIMIT_S,
) -> None:
    """Enqueue a re-extraction job (`provnews reextract` on a worker); prints its id.

    The workers need the archive: the same PROVNEWS_ARCHIVE_DIR on a shared file system.

    Example: [bold]provnews enqueue reextract --outlet baolangson --since 2025-01-01[/]
    """
    day_or_exit(since, "--since")
    day_or_exit(until, "--until")
    app = make_app(_broker_or_exit(broker))
    try:
        job = enqueue_reextract(app, outlet=outlet, since=since, until=until, ids=ids, everything=all_,
                                time_limit_s=time_limit)
    except (OSError, OperationalError) as exc:
        fail(f"the broker does not answer: {exc}", ExitCode.FAILURE)
    typer.echo(job)
