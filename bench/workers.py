"""Crawls on Celery workers, on real servers: a private redis-server, PostgreSQL, a
generated scale mirror served by ``provnews mirror serve`` with its request log, and
real ``provnews worker`` processes. ``Cluster`` is shared with tests/workers.

The bench: articles per second with 1 worker, then with 2, on the same mirror and a
fresh database each time, and their ratio::

    python -m bench.workers --db postgresql+psycopg://postgres@127.0.0.1:5432/wt18 \\
        --outlets 10 --articles 400

The database named by ``--db`` must be empty or disposable: each round uses a fresh
schema in it (created and dropped). Needs ``redis-server`` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from crawler.mirror.generate import GenArticle, generate

READY_TIMEOUT_S = 60.0


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with closing(socket.socket()) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class RedisServer:
    """A private redis-server with an append-only file, so a restart keeps its queues
    (as a broker for jobs must be configured: see the README)."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory, self.port = directory, port or free_port()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, 10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # redis writes its AOF and exits
            self.process.wait(timeout=30)
        self.process = None

    def client(self):  # type: ignore[no-untyped-def]
        import redis
        return redis.Redis(port=self.port)


def fresh_schema_url(base: str) -> tuple[str, str]:
    """A URL whose search_path is a new, empty schema of ``base``'s database; (url, schema)."""
    schema = f"provnews_workers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(base: str, schema: str) -> None:
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def cli_env(**extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
    return {**inherited, "COLUMNS": "200", **extra}


@dataclass
class Cluster:
    """One run: a mirror of generated outlets, a broker, a database, workers."""

    workdir: Path
    db_url: str
    redis: RedisServer
    articles: list[GenArticle]
    visibility_timeout: int = 3600
    amqp: str | None = None     # a RabbitMQ URL: the broker instead of the private redis-server
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    mirror: subprocess.Popen[bytes] | None = None
    mirror_port: int = 0

    @property
    def broker_url(self) -> str:
        return self.amqp or self.redis.url

    @property
    def sources(self) -> Path:
        return self.workdir / "scale" / "sources.yaml"

    @property
    def request_log(self) -> Path:
        return self.workdir / "requests.jsonl"

    @property
    def mirror_url(self) -> str:
        return f"http://127.0.0.1:{self.mirror_port}"

    @property
    def outlets(self) -> list[str]:
        return sorted({a.outlet.key for a in self.articles})

    def start_mirror(self) -> None:
        self.mirror_port = free_port()
        self.mirror = subprocess.Popen(
            [sys.executable, "-m", "crawler", "mirror", "serve", "--sites", str(self.workdir / "scale" / "sites"),
             "--port", str(self.mirror_port), "--request-log", str(self.request_log)],
            env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.mirror_port, READY_TIMEOUT_S)

    def start_worker(self, name: str, concurrency: int = 1) -> None:
        log = open(self.workdir / f"worker-{name}.log", "ab")  # noqa: SIM115 - the child writes it
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--broker", self.broker_url, "--db", self.db_url,
             "--name", name, "--concurrency", str(concurrency), "--visibility-timeout",
             str(self.visibility_timeout), "--log-level", "INFO"],
            env=cli_env(PROVNEWS_ARCHIVE_DIR=str(self.workdir / "archive")), stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def wait_workers(self, names: Iterable[str], timeout: float = READY_TIMEOUT_S) -> None:
        """Until every named worker has logged that it is ready."""
        deadline = time.monotonic() + timeout
        waiting = set(names)
        while waiting and time.monotonic() < deadline:
            waiting = {n for n in waiting if b" ready." not in (self.workdir / f"worker-{n}.log").read_bytes()}
            if waiting:
                time.sleep(0.3)
        if waiting:
            raise TimeoutError(f"workers {sorted(waiting)} not ready after {timeout} s")

    def kill_worker(self, name: str) -> None:
        process = self.workers.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def enqueue(self, outlets: Iterable[str]) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "enqueue", "crawl", *outlets, "--broker", self.broker_url,
             "--sources", str(self.sources), "--mirror", self.mirror_url, "--time-limit", "600"],
            env=cli_env(), capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"enqueue failed: {result.stderr}")

    def enqueue_reextract(self, *options: str) -> None:
        subprocess.run([sys.executable, "-m", "crawler", "enqueue", "reextract", *options, "--broker", self.broker_url],
                       env=cli_env(), capture_output=True, text=True, timeout=120, check=True)

    def execute(self, sql: str) -> None:
        engine = create_engine(self.db_url)
        try:
            with engine.begin() as connection:
                connection.execute(text(sql))
        finally:
            engine.dispose()

    def query(self, sql: str) -> list[tuple]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()

    def broker_idle(self) -> bool:
        """No job queued, reserved or waiting for a retry (kombu keeps a reserved job in
        ``unacked`` until it is acknowledged; RabbitMQ counts only ready messages, so the
        workers are asked for their reserved and scheduled jobs too)."""
        if self.amqp:
            return self._amqp_idle()
        client = self.redis.client()
        try:
            queued = sum(client.llen(key) for key in client.keys("crawl*") + client.keys("extract*")
                         if client.type(key) == b"list")
            return queued == 0 and client.hlen("unacked") == 0
        finally:
            client.close()

    def _amqp_idle(self) -> bool:
        from kombu import Connection

        from crawler.workers.app import QUEUES, make_app
        with Connection(self.amqp) as connection:
            channel = connection.channel()
            ready = sum(channel.queue_declare(queue, passive=True).message_count for queue in QUEUES)
        if ready:
            return False
        inspect = make_app(self.amqp).control.inspect(timeout=2)
        held = [inspect.active() or {}, inspect.reserved() or {}, inspect.scheduled() or {}]
        return not any(jobs for answer in held for jobs in answer.values())

    def purge(self) -> None:
        """Empty the job queues (a RabbitMQ broker is shared: jobs of an earlier run must not count)."""
        from crawler.workers.app import make_app
        make_app(self.broker_url).control.purge()

    def wait_quiet(self, timeout: float) -> float:
        """Until the broker holds no job and no crawl runs; the seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                idle = self.broker_idle()
            except Exception:  # noqa: BLE001 - the broker is restarting: not idle yet
                idle = False
            running = self.query("SELECT count(*) FROM crawl_runs WHERE status = 'running'")[0][0] \
                if self.has_ledger() else 0
            if idle and running == 0 and self.has_ledger():
                return time.monotonic() - start
            time.sleep(1.0)
        raise TimeoutError(f"jobs still queued or running after {timeout} s")

    def has_ledger(self) -> bool:
        return bool(self.query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'crawl_runs' "
                               "AND table_schema = current_schema()")[0][0])

    def stop(self) -> None:
        for name in list(self.workers):
            process = self.workers.pop(name)
            process.send_signal(signal.SIGQUIT)  # Celery's cold shutdown: no waiting for jobs
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.mirror is not None:
            self.mirror.terminate()
            self.mirror.wait(timeout=20)
            self.mirror = None

    # ---- what the checks read -------------------------------------------------------

    def requests(self) -> list[dict]:
        if not self.request_log.exists():
            return []
        return [json.loads(line) for line in self.request_log.read_text(encoding="utf-8").splitlines() if line]

    def article_fetches(self) -> int:
        wanted = {(urlsplit(a.url).hostname, urlsplit(a.url).path) for a in self.articles}
        return sum((r["host"], r["path"]) in wanted for r in self.requests())

    def overlaps(self) -> list[str]:
        """Per host, crawl processes whose requests were in flight at the same time.

        Each client (one crawl process) covers the span from its first request's start
        to its last answer's end; under the outlet lock the spans of one host never meet."""
        spans: dict[str, dict[str, list[float]]] = defaultdict(dict)
        for r in self.requests():
            span = spans[r["host"]].setdefault(r["client"] or "?", [r["start"], r["end"]])
            span[0], span[1] = min(span[0], r["start"]), max(span[1], r["end"])
        found = []
        for host, clients in spans.items():
            ordered = sorted(clients.items(), key=lambda item: item[1][0])
            for (a, (_, a_end)), (b, (b_start, _)) in pairwise(ordered):
                if b_start < a_end:
                    found.append(f"{host}: {a} until {a_end:.3f}, {b} from {b_start:.3f}")
        return found

    def stored_urls(self) -> list[str]:
        return [row[0] for row in self.query("SELECT url FROM articles")]


def make_cluster(workdir: Path, base_db: str, outlets: int, articles: int, visibility_timeout: int = 3600,
                 seed: int = 1, amqp: str | None = None) -> tuple[Cluster, str]:
    """Generate the mirror, start it and a private redis-server; (cluster, schema to drop)."""
    workdir.mkdir(parents=True, exist_ok=True)
    generated = generate(workdir / "scale", outlets, articles, seed)
    db_url, schema = fresh_schema_url(base_db)
    redis = RedisServer(workdir / "redis")
    redis.start()
    cluster = Cluster(workdir, db_url, redis, generated, visibility_timeout, amqp)
    cluster.start_mirror()
    return cluster, schema


def one_round(workdir: Path, base_db: str, outlets: int, articles: int, workers: int) -> dict[str, float]:
    cluster, schema = make_cluster(workdir, base_db, outlets, articles)
    try:
        names = [f"bench{i}@local" for i in range(1, workers + 1)]
        for name in names:
            cluster.start_worker(name)
        cluster.wait_workers(names)
        start = time.monotonic()
        cluster.enqueue(cluster.outlets)
        cluster.wait_quiet(timeout=3600)
        elapsed = time.monotonic() - start
        stored = len(cluster.stored_urls())
        return {"workers": workers, "stored": stored, "seconds": round(elapsed, 1),
                "articles_per_s": round(stored / elapsed, 2)}
    finally:
        cluster.stop()
        cluster.redis.stop()
        drop_schema(base_db, schema)
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="PostgreSQL URL; each round uses a fresh schema in it.")
    parser.add_argument("--outlets", type=int, default=10, help="Generated outlets.")
    parser.add_argument("--articles", type=int, default=400, help="Articles in all.")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/provnews-bench-workers"),
                        help="Scratch folder (removed after each round).")
    args = parser.parse_args(argv)
    rounds = [one_round(args.workdir / f"w{n}", args.db, args.outlets, args.articles, n) for n in (1, 2)]
    for row in rounds:
        print(json.dumps(row))
    print(json.dumps({"ratio_2_over_1": round(rounds[1]["articles_per_s"] / rounds[0]["articles_per_s"], 2),
                      "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
