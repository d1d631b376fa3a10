"""Crawls on Celery workers, on real servers (issue 18's acceptance).

A private redis-server (so that the broker-restart test can restart it), PostgreSQL
from ``PROVNEWS_TEST_POSTGRES_URL`` (a fresh schema per test), a generated scale
mirror served by ``provnews mirror serve --request-log``, and real ``provnews worker``
processes. Skipped, with the reason, without ``redis-server`` or PostgreSQL.
"""

from __future__ import annotations

import random
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.workers import Cluster, make_cluster
from storage.outlet_lock import outlet_locked
from tests.storage.conftest import postgres_base_url

WHY_POSTGRES = "the workers' tests need PostgreSQL"
OUTLETS = 10
ARTICLES = 200          # 20 per outlet: each crawl lasts long enough to be killed, the test stays short
FETCH_FACTOR = 1.02

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(900)]


@contextmanager
def _running(made: tuple[Cluster, str], base: str) -> Iterator[Cluster]:
    """The cluster, then its processes stopped and its schema dropped, whatever happened."""
    built, schema = made
    try:
        yield built
    finally:
        built.stop()
        built.redis.stop()
        admin = create_engine(base)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: the workers' tests start a private one")
    base = postgres_base_url(WHY_POSTGRES)
    visibility = getattr(request, "param", 3600)
    with _running(make_cluster(tmp_path, base, OUTLETS, ARTICLES, visibility_timeout=visibility), base) as built:
        yield built


def _start(cluster: Cluster, names: list[str]) -> None:
    for name in names:
        cluster.start_worker(name)
    cluster.wait_workers(names)


def _assert_everything_once(cluster: Cluster) -> None:
    stored = cluster.stored_urls()
    assert len(stored) == len(set(stored)), "an article stored twice"
    assert set(stored) == {a.url for a in cluster.articles}, (
        f"missing {len({a.url for a in cluster.articles} - set(stored))}, "
        f"unexpected {len(set(stored) - {a.url for a in cluster.articles})}")
    assert cluster.query("SELECT count(*) FROM frontier WHERE state IN ('pending', 'leased')") == [(0,)]
    assert cluster.query("SELECT count(*) FROM crawl_runs WHERE status = 'running'") == [(0,)]
    overlaps = cluster.overlaps()
    assert not overlaps, "two crawls of one host at once:\n" + "\n".join(overlaps[:10])
    engine = create_engine(cluster.db_url)
    try:
        held = [o for o in cluster.outlets if outlet_locked(engine, o)]
    finally:
        engine.dispose()
    assert held == [], f"locks left behind: {held}"


def _kill_mid_crawl(cluster: Cluster, rng: random.Random, count: int) -> list[tuple[str, str, float]]:
    """``kill -9`` a worker whose crawl is running, ``count`` times at random moments, each
    time starting a spare so three workers stay; (worker, outlet, when) of each kill."""
    kills: list[tuple[str, str, float]] = []
    deadline = time.monotonic() + 400
    while len(kills) < count and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.5, 3.0))
        running = cluster.query("SELECT worker, outlet FROM crawl_runs WHERE status = 'running' "
                                "AND worker IS NOT NULL") if cluster.has_ledger() else []
        victims = [(w, o) for w, o in running if w in cluster.workers]
        if not victims:
            if cluster.broker_idle():   # everything done before the last kill: give it more work
                cluster.enqueue(cluster.outlets)
            continue
        worker, outlet = rng.choice(victims)
        cluster.kill_worker(worker)
        kills.append((worker, outlet, time.time()))
        cluster.start_worker(f"spare{len(kills)}@test")
    return kills


def _crawls_running(cluster: Cluster) -> int:
    if not cluster.has_ledger():
        return 0
    return cluster.query("SELECT count(*) FROM crawl_runs WHERE status = 'running'")[0][0]


def _finished_by_worker(cluster: Cluster) -> dict[str, set[str]]:
    rows = cluster.query("SELECT outlet, worker FROM crawl_runs WHERE status IN ('ok', 'partial')")
    done: dict[str, set[str]] = {}
    for outlet, worker in rows:
        done.setdefault(outlet, set()).add(worker)
    return done


def test_three_workers_crawl_ten_outlets_once_each_host_by_one_worker_at_a_time(cluster: Cluster):
    names = ["w1@test", "w2@test", "w3@test"]
    _start(cluster, names)
    # Three outlets twice: a second job for a busy outlet must wait for the first, not crawl beside it.
    cluster.enqueue(cluster.outlets + cluster.outlets[:3])
    cluster.wait_quiet(timeout=600)

    _assert_everything_once(cluster)
    fetches = cluster.article_fetches()
    assert fetches <= FETCH_FACTOR * len(cluster.articles), f"{fetches} article fetches for {len(cluster.articles)}"
    done = _finished_by_worker(cluster)
    assert sorted(done) == cluster.outlets
    workers_used = set().union(*done.values())
    assert workers_used <= set(names) and len(workers_used) >= 2, workers_used  # `runs` names the worker

    # A re-extraction job: articles read by an "older extractor" are read again from the archive.
    outlet = cluster.outlets[0]
    version = cluster.query(f"SELECT DISTINCT extractor_version FROM articles WHERE outlet = '{outlet}'")
    assert len(version) == 1 and version[0][0]
    cluster.execute(f"UPDATE articles SET extractor_version = 'old' WHERE outlet = '{outlet}'")
    cluster.enqueue_reextract("--outlet", outlet)
    cluster.wait_quiet(timeout=300)
    assert cluster.query(f"SELECT DISTINCT extractor_version FROM articles WHERE outlet = '{outlet}'") == version


@pytest.mark.slow
# A short visibility timeout, so a killed worker's job comes back within seconds; a crawl
# that runs longer than it is delivered twice, which the outlet lock must make harmless.
@pytest.mark.parametrize("cluster", [30], indirect=True)
def test_a_worker_killed_mid_crawl_ten_times_loses_and_duplicates_nothing(cluster: Cluster):
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    names = ["k1@test", "k2@test", "k3@test"]
    _start(cluster, names)
    cluster.enqueue(cluster.outlets)
    kills = _kill_mid_crawl(cluster, rng, 10)
    assert len(kills) == 10, f"only {len(kills)} kills landed mid-crawl (seed {seed})"
    cluster.wait_quiet(timeout=600)

    _assert_everything_once(cluster)
    killed = cluster.query("SELECT worker, outlet FROM crawl_runs WHERE status = 'killed'")
    assert {(w, o) for w, o, _ in kills} <= set(killed), f"kills {kills}, runs marked killed {killed} (seed {seed})"
    done = _finished_by_worker(cluster)
    for worker, outlet, _ in kills:   # each killed job was redelivered and completed by another worker
        assert done.get(outlet, set()) - {worker}, f"{outlet} never completed after {worker} died (seed {seed})"


@pytest.mark.slow
@pytest.mark.parametrize("cluster", [30], indirect=True)
def test_workers_reconnect_after_a_broker_restart_and_no_job_is_lost(cluster: Cluster):
    names = ["r1@test", "r2@test", "r3@test"]
    _start(cluster, names)
    cluster.enqueue(cluster.outlets)
    deadline = time.monotonic() + 120
    while not _crawls_running(cluster):
        assert time.monotonic() < deadline, "no crawl started"
        time.sleep(0.3)
    cluster.redis.stop()      # jobs queued, reserved and running: the AOF keeps the first two
    time.sleep(3)
    cluster.redis.start()
    cluster.wait_quiet(timeout=600)

    _assert_everything_once(cluster)
    assert sorted(_finished_by_worker(cluster)) == cluster.outlets
    assert all(process.poll() is None for process in cluster.workers.values()), "a worker died with the broker"
    # Reconnected: a job enqueued now is taken and run.
    cluster.enqueue(cluster.outlets[:1])
    cluster.wait_quiet(timeout=300)
    runs = cluster.query(f"SELECT count(*) FROM crawl_runs WHERE outlet = '{cluster.outlets[0]}' "
                         "AND status IN ('ok', 'partial')")[0][0]
    assert runs >= 2


AMQP = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def rabbit_cluster(tmp_path: Path) -> Iterator[Cluster]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("RabbitMQ does not answer on 127.0.0.1:5672")
    base = postgres_base_url(WHY_POSTGRES)
    with _running(make_cluster(tmp_path, base, OUTLETS, ARTICLES, amqp=AMQP), base) as built:
        built.purge()
        yield built


@pytest.mark.slow
def test_on_rabbitmq_a_killed_workers_job_comes_back_at_once(rabbit_cluster: Cluster):
    """RabbitMQ redelivers when the killed worker's connection closes: no visibility timeout."""
    cluster = rabbit_cluster
    seed = random.randrange(1 << 30)
    _start(cluster, ["q1@test", "q2@test", "q3@test"])
    cluster.enqueue(cluster.outlets)
    kills = _kill_mid_crawl(cluster, random.Random(seed), 3)
    assert len(kills) == 3, f"only {len(kills)} kills landed mid-crawl (seed {seed})"
    cluster.wait_quiet(timeout=600)

    _assert_everything_once(cluster)
    for worker, outlet, when in kills:
        later = cluster.query(f"SELECT min(extract(epoch FROM started_at))::float8 FROM crawl_runs WHERE outlet = '{outlet}' "
                              f"AND worker != '{worker}' AND status IN ('ok', 'partial') "
                              f"AND extract(epoch FROM started_at) > {when}")[0][0]
        # A spare worker starts in seconds on a quiet machine; generous for a loaded one, far below
        # the hour a Redis broker would wait (its visibility timeout).
        assert later is not None and later - when < 120, f"{outlet}: redelivered after {later and later - when} s"
