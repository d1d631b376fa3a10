"""Jobs onto the broker, and the broker's view of the workers.

``scheduled_enqueue`` is the scheduler's job function when it has a broker: like
``crawler.scheduling.runs.scheduled_crawl`` it is stored by reference with plain
arguments, and it reads the broker URL from ``PROVNEWS_BROKER_URL`` (set by
``schedule run --broker``), so a password in that URL never lands in the job table.
"""

from __future__ import annotations

import logging
import os
import time
from functools import cache
from typing import Any

from celery import Celery

from crawler.scheduling.runs import DEFAULT_TIME_LIMIT_S
from crawler.workers.app import CRAWL_TASK, REEXTRACT_TASK, make_app

logger = logging.getLogger(__name__)

BROKER_ENV = "PROVNEWS_BROKER_URL"
VISIBILITY_ENV = "PROVNEWS_BROKER_VISIBILITY_TIMEOUT"


def broker_url(cli_value: str | None = None) -> str | None:
    """The CLI option wins, then ``PROVNEWS_BROKER_URL``; None: no broker (one machine)."""
    return cli_value or os.environ.get(BROKER_ENV) or None


def enqueue_crawl(app: Celery, outlet: str, *, sources: str | None = None, mirror: str | None = None,
                  time_limit_s: float = DEFAULT_TIME_LIMIT_S, since: str | None = None,
                  trigger: str = "manual") -> str:
    """Put one crawl job on the ``crawl`` queue; its id. The job carries the time it was
    enqueued: a run of the outlet started after it does the job (``jobs.crawl_job``)."""
    kwargs = {"outlet": outlet, "sources": sources, "mirror": mirror, "time_limit_s": time_limit_s,
              "since": since, "trigger": trigger, "enqueued_at": time.time()}
    return app.send_task(CRAWL_TASK, kwargs=kwargs).id


def enqueue_reextract(app: Celery, *, outlet: str | None = None, since: str | None = None,
                      until: str | None = None, ids: str | None = None, everything: bool = False,
                      time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> str:
    """Put one re-extraction job on the ``extract`` queue; its id."""
    kwargs = {"outlet": outlet, "since": since, "until": until, "ids": ids, "everything": everything,
              "time_limit_s": time_limit_s}
    return app.send_task(REEXTRACT_TASK, kwargs=kwargs).id


@cache
def _app(url: str) -> Celery:
    """One app per broker for the scheduler's process: its connection pool is reused."""
    return make_app(url)


def scheduled_enqueue(outlet: str, sources: str | None = None, mirror: str | None = None,
                      time_limit_s: float = DEFAULT_TIME_LIMIT_S) -> dict[str, object]:
    """The scheduler's job function with a broker: enqueue the crawl instead of running it."""
    url = broker_url()
    if url is None:
        raise RuntimeError(f"{BROKER_ENV} is not set: the scheduler enqueues only with a broker")
    task_id = enqueue_crawl(_app(url), outlet, sources=sources, mirror=mirror, time_limit_s=time_limit_s,
                            trigger="schedule")
    logger.info("crawl %s: enqueued (job %s)", outlet, task_id)
    return {"outlet": outlet, "outcome": "enqueued", "job": task_id}


def live_workers(app: Celery, timeout: float = 2.0) -> list[dict[str, Any]]:
    """Each worker that answers within ``timeout``: its name and the jobs it runs now."""
    inspect = app.control.inspect(timeout=timeout)
    answered = inspect.ping() or {}
    active = inspect.active() or {}
    rows = []
    for name in sorted(set(answered) | set(active)):
        jobs = [{"job": job.get("id"), "kind": job.get("name"), "args": job.get("kwargs") or job.get("args"),
                 "started": job.get("time_start")} for job in active.get(name, [])]
        rows.append({"worker": name, "jobs": jobs})
    return rows
