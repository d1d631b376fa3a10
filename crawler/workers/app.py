"""The Celery application: one broker, two queues, settings that lose no job.

Why each setting:

- ``task_acks_late``: a job is acknowledged when it has run, not when a worker took it,
  so a worker that dies mid-job leaves its job on the broker for another worker.
- ``task_reject_on_worker_lost``: the same when the process running the job dies
  under a live worker (Celery would otherwise acknowledge it as failed).
- ``worker_prefetch_multiplier = 1``: a worker holds only the jobs it runs; a job
  reserved behind an hour-long crawl would wait for it while other workers idle.
- ``visibility_timeout`` (Redis only: RabbitMQ redelivers as soon as the consumer's
  connection closes): how long an unacknowledged job stays with its worker before
  Redis hands it to another. A killed worker's job waits that long, so it is tempting
  to make it short; but a job that runs longer than it is delivered a second time
  while it runs. The outlet lock makes that second delivery wait, not crawl twice,
  yet it costs a wasted recrawl, so the default (``PROVNEWS_BROKER_VISIBILITY_TIMEOUT``,
  7200 s) is above the longest job (the crawl time limit, 3600 s by default). Tests
  set a few seconds to see redelivery happen.
- ``broker_connection_retry_on_startup`` and unlimited retries: a worker started
  before the broker, or cut off by a broker restart, keeps trying to reconnect.
- No result backend: what a job did is in the database (the crawl ledger); workers
  report their live jobs through the broker (``provnews workers``).
"""

from __future__ import annotations

from celery import Celery
from kombu import Exchange, Queue

from crawler.settings import PROVNEWS_BROKER_VISIBILITY_TIMEOUT

CRAWL_QUEUE = "crawl"
EXTRACT_QUEUE = "extract"
QUEUES = (CRAWL_QUEUE, EXTRACT_QUEUE)
CRAWL_TASK = "provnews.crawl"
REEXTRACT_TASK = "provnews.reextract"


def transport_options(visibility_timeout: int) -> dict[str, int]:
    """Redis' transport options, so a killed worker's job comes back soon after its
    visibility timeout:

    - kombu sweeps for jobs past the timeout only every ``unacked_restore_interval ×
      unacked_restore_throttle`` seconds (10 × 10 by default), which would add up to
      100 s: sweep on every call, every tenth of the timeout (at most every 10 s; one
      small ZRANGE per worker);
    - a sweep holds a mutex key that expires after ``unacked_mutex_expire`` (300 s): a
      worker killed in the middle of its sweep (seen in the kill test) blocks every
      redelivery that long. A sweep takes milliseconds; the mutex expires after half
      the timeout (between 5 and 300 s).
    """
    return {"visibility_timeout": visibility_timeout, "unacked_restore_throttle": 1,
            "unacked_restore_interval": max(1, min(10, visibility_timeout // 10)),
            "unacked_mutex_expire": max(5, min(300, visibility_timeout // 2))}


def make_app(broker_url: str, visibility_timeout: int = PROVNEWS_BROKER_VISIBILITY_TIMEOUT) -> Celery:
    app = Celery("provnews", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=transport_options(visibility_timeout),
        broker_connection_retry_on_startup=True,
        broker_connection_retry=True,
        broker_connection_max_retries=None,
        # A crawl keeps running through a broker blip; if its ack is then lost, the job
        # comes back and its recrawl costs little (the frontier remembers what is done).
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_ignore_result=True,
        # Each queue on its own exchange and key: a bare Queue(name) gets Celery's default
        # exchange and routing key, which would bind every queue to the crawl jobs.
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        task_default_queue=CRAWL_QUEUE,
        task_routes={CRAWL_TASK: {"queue": CRAWL_QUEUE}, REEXTRACT_TASK: {"queue": EXTRACT_QUEUE}},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app
