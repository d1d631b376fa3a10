"""The single-scheduler lock: one row in ``provnews_scheduler_lock``.

APScheduler 3 job stores "must never be shared between schedulers" (FAQ; two
schedulers on one store run jobs twice or miss them), so ``schedule run`` takes
this lock before it touches the job store and refuses to start while another
scheduler holds it.

Why a lock row and not an advisory lock: it works the same on SQLite and
PostgreSQL with one code path; it needs no connection held open for the life of
the daemon (a PostgreSQL advisory lock is tied to one session, and silently goes
away with it after a network blip or a pool recycle, and SQLite has no such lock:
a file lock would not protect a database reached from two hosts and does not
exist for a PostgreSQL URL); and anyone can see who holds it (``schedule list``
prints it; ``SELECT * FROM provnews_scheduler_lock``).

The row is taken atomically with one upsert that only overwrites a row whose
heartbeat is stale (``INSERT … ON CONFLICT (name) DO UPDATE … WHERE heartbeat <
:stale_before``), then read back in the same transaction. The holder refreshes
``heartbeat`` every ``heartbeat_s`` seconds; a holder that missed
``stale_after_beats`` heartbeats (crashed, ``kill -9``, host gone) is presumed dead
and the next scheduler takes over. A holder whose heartbeat finds the row taken
by someone else has lost the lock and must stop (``heartbeat()`` returns False).
Timestamps are Unix seconds from the holders' clocks; the stale window (60 s by
default) is far above any sane clock skew between hosts.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from storage.engine import StorageError

HEARTBEAT_S = 15.0
STALE_AFTER_BEATS = 4
LOCK_NAME = "scheduler"

_metadata = MetaData()
lock_table = Table(
    "provnews_scheduler_lock", _metadata,
    Column("name", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("host", String(255), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat", Float, nullable=False),
)


class LockHeld(RuntimeError):
    """Another scheduler holds the lock; the message says which and since when."""


@dataclass(frozen=True)
class Holder:
    owner: str
    pid: int
    host: str
    started_at: float
    heartbeat: float

    def describe(self, now: float) -> str:
        return (f"pid {self.pid} on host {self.host}, started "
                f"{time.strftime('%Y-%m-%d %H:%M:%S%z', time.localtime(self.started_at))}, "
                f"last heartbeat {max(0.0, now - self.heartbeat):.0f} s ago")


def create_lock_table(engine: Engine) -> None:
    """``CREATE TABLE IF NOT EXISTS provnews_scheduler_lock``; the scheduler's own, outside Alembic."""
    _metadata.create_all(engine, checkfirst=True)


def current_holder(engine: Engine) -> Holder | None:
    """Who holds the lock, or None (also when the table does not exist yet)."""
    if not inspect(engine).has_table(lock_table.name):
        return None
    with engine.connect() as connection:
        row = connection.execute(select(lock_table).where(lock_table.c.name == LOCK_NAME)).first()
    return None if row is None else Holder(row.owner, row.pid, row.host, row.started_at, row.heartbeat)


class SchedulerLock:
    def __init__(self, engine: Engine, *, heartbeat_s: float = HEARTBEAT_S,
                 stale_after_beats: int = STALE_AFTER_BEATS, clock: Callable[[], float] = time.time):
        self.engine = engine
        self.heartbeat_s = heartbeat_s
        self.stale_s = heartbeat_s * stale_after_beats
        self.clock = clock
        self.pid, self.host = os.getpid(), socket.gethostname()
        self.owner = uuid.uuid4().hex
        self.held = False

    def _upsert(self, now: float):  # type: ignore[no-untyped-def]
        values = dict(name=LOCK_NAME, owner=self.owner, pid=self.pid, host=self.host, started_at=now, heartbeat=now)
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            insert = sqlite.insert(lock_table)
        elif dialect == "postgresql":
            insert = postgresql.insert(lock_table)
        else:
            raise StorageError(f"the scheduler lock supports SQLite and PostgreSQL, not {dialect}")
        statement = insert.values(**values)
        return statement.on_conflict_do_update(
            index_elements=[lock_table.c.name],
            set_={k: statement.excluded[k] for k in ("owner", "pid", "host", "started_at", "heartbeat")},
            where=(lock_table.c.heartbeat < now - self.stale_s) | (lock_table.c.owner == self.owner),
        )

    def acquire(self) -> None:
        """Take the lock or raise LockHeld naming the holder."""
        create_lock_table(self.engine)
        now = self.clock()
        with self.engine.begin() as connection:
            connection.execute(self._upsert(now))
            row = connection.execute(select(lock_table).where(lock_table.c.name == LOCK_NAME)).one()
        if row.owner != self.owner:
            holder = Holder(row.owner, row.pid, row.host, row.started_at, row.heartbeat)
            raise LockHeld(f"another scheduler is already running on this database ({holder.describe(now)}); "
                           f"it is presumed dead after {self.stale_s:.0f} s without a heartbeat")
        self.held = True

    def heartbeat(self) -> bool:
        """Refresh the heartbeat; False when the lock has been taken over (stop at once)."""
        with self.engine.begin() as connection:
            result = connection.execute(update(lock_table)
                                        .where(lock_table.c.name == LOCK_NAME, lock_table.c.owner == self.owner)
                                        .values(heartbeat=self.clock()))
        self.held = result.rowcount == 1
        return self.held

    def release(self) -> None:
        if not self.held:
            return
        with self.engine.begin() as connection:
            connection.execute(delete(lock_table).where(lock_table.c.name == LOCK_NAME,
                                                        lock_table.c.owner == self.owner))
        self.held = False
