"""Jobs onto the broker, without a server: kombu's in-memory transport."""

from __future__ import annotations

import time

import pytest

from crawler.scheduling import SchedulerService
from crawler.workers import enqueue
from crawler.workers.app import (
    CRAWL_QUEUE,
    CRAWL_TASK,
    EXTRACT_QUEUE,
    REEXTRACT_TASK,
    make_app,
)
from crawler.workers.jobs import reextract_argv, retry_delay

BROKER = "memory://"


def _take(queue: str) -> tuple[dict, dict]:
    """The next message on ``queue``: (headers, kwargs)."""
    app = enqueue._app(BROKER)
    with app.connection_for_read() as connection:
        message = connection.SimpleQueue(queue).get(timeout=2)
        message.ack()
    return message.headers, message.payload[1]


def test_the_schedulers_job_enqueues_the_crawl_instead_of_running_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(enqueue.BROKER_ENV, BROKER)
    result = enqueue.scheduled_enqueue("baolangson", None, "http://127.0.0.1:8001", 600)
    assert result["outcome"] == "enqueued" and result["outlet"] == "baolangson"
    headers, kwargs = _take(CRAWL_QUEUE)
    assert headers["task"] == CRAWL_TASK and headers["id"] == result["job"]
    assert time.time() - 60 < kwargs.pop("enqueued_at") <= time.time()
    assert kwargs == {"outlet": "baolangson", "sources": None, "mirror": "http://127.0.0.1:8001",
                      "time_limit_s": 600, "since": None, "trigger": "schedule"}


def test_a_reextraction_goes_to_its_own_queue():
    job = enqueue.enqueue_reextract(enqueue._app(BROKER), outlet="baolangson", ids="1,2,3")
    headers, kwargs = _take(EXTRACT_QUEUE)
    assert headers["task"] == REEXTRACT_TASK and headers["id"] == job and kwargs["ids"] == "1,2,3"
    assert reextract_argv(outlet="baolangson", since=None, until=None, ids="1,2,3", everything=True)[-7:] == [
        "--format", "json", "--outlet", "baolangson", "--ids", "1,2,3", "--all"]


def test_without_a_broker_the_scheduler_job_refuses(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(enqueue.BROKER_ENV, raising=False)
    with pytest.raises(RuntimeError, match="PROVNEWS_BROKER_URL"):
        enqueue.scheduled_enqueue("baolangson")


def test_a_scheduler_with_a_broker_stores_the_enqueueing_job_and_one_without_runs_crawls():
    assert SchedulerService("sqlite://", [], broker_url=BROKER).func is enqueue.scheduled_enqueue
    assert SchedulerService("sqlite://", []).func.__name__ == "scheduled_crawl"


def test_a_busy_outlets_retry_waits_well_inside_the_visibility_timeout():
    assert retry_delay(make_app(BROKER, visibility_timeout=7200)) == 10
    assert retry_delay(make_app(BROKER, visibility_timeout=15)) == 3
    assert retry_delay(make_app(BROKER, visibility_timeout=2)) == 1
