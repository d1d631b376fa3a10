"""One outlet, one worker: the per-outlet lock a worker's crawl job holds while it runs.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock(classid, objid)``)
on a connection of its own, held for the life of the job. Why not a lease row like
the scheduler's lock (``crawler.scheduling.lock``): a lease row outlives a ``kill -9``
of its holder until it expires, and its expiry must then be longer than the longest
heartbeat gap, so a redelivered job would wait for it; an advisory lock goes away
the moment its connection closes, which the kernel does at once for a killed
process. What an advisory lock does not survive is a silent loss of the connection
(network cut, server restart): ``alive()`` probes it, and the job stops its crawl
when the probe fails, so a lock the server dropped is never crawled under.

SQLite is one machine by nature: the lock is an exclusive ``flock`` on a file beside
the database, which also goes away with its process.

The lock key: ``classid`` is a constant naming provnews' outlet locks (so they cannot
meet another application's advisory locks on a shared server), ``objid`` the CRC-32
of the outlet key (stable across hosts and Python runs, unlike ``hash``), as a
signed 32-bit integer. Two outlet keys with one CRC would share a lock: they would
be crawled one after the other, never both at once, which is safe.
"""

from __future__ import annotations

import fcntl
import os
import re
import zlib
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from storage.engine import StorageError

LOCK_CLASS = 0x70726F76  # "prov", a positive int4: the classid of every outlet lock


def lock_key(outlet: str) -> int:
    """The ``objid`` of an outlet's advisory lock: its CRC-32 as a signed int4."""
    crc = zlib.crc32(outlet.encode("utf-8"))
    return crc - 2**32 if crc >= 2**31 else crc


class OutletLock:
    """``acquire()`` without waiting; ``alive()`` while held; ``release()`` when done."""

    def __init__(self, engine: Engine, outlet: str):
        self.engine, self.outlet = engine, outlet
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """True when this job now holds the outlet; False when another job does."""
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return self._acquire_advisory()
        if dialect == "sqlite":
            return self._acquire_file()
        raise StorageError(f"the outlet lock supports SQLite and PostgreSQL, not {dialect}")

    def _acquire_advisory(self) -> bool:
        connection = self.engine.connect()
        try:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(CAST(:c AS integer), CAST(:o AS integer))"),
                                       {"c": LOCK_CLASS, "o": lock_key(self.outlet)}).scalar_one()
            connection.commit()  # the lock is the session's; no transaction is left open
        except SQLAlchemyError as exc:
            connection.close()
            raise StorageError(f"could not take the lock of outlet {self.outlet}: {exc}") from exc
        if not taken:
            connection.close()  # back to the pool: it holds no lock
            return False
        self._connection = connection
        return True

    def _acquire_file(self) -> bool:
        handle = open(self._lock_path(), "ab")  # noqa: SIM115 - held open for the life of the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def _lock_path(self) -> Path:
        database = self.engine.url.database
        if not database or database == ":memory:":
            raise StorageError("the outlet lock needs a SQLite file, not an in-memory database")
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.outlet)
        return Path(f"{os.path.abspath(database)}.outlet-{safe}.lock")

    def alive(self) -> bool:
        """Still held: the advisory lock's connection answers (a file lock cannot be lost)."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1")).scalar_one()
            self._connection.commit()
            return True
        except SQLAlchemyError:
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(CAST(:c AS integer), CAST(:o AS integer))"),
                                         {"c": LOCK_CLASS, "o": lock_key(self.outlet)})
                self._connection.commit()
            except SQLAlchemyError:
                # Gone, or in doubt: never give a connection that may hold the lock back to the pool.
                self._connection.invalidate()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None


def outlet_locked(engine: Engine, outlet: str) -> bool:
    """Whether any session holds the outlet's lock now (for tests and ``workers``)."""
    if engine.dialect.name != "postgresql":
        probe = OutletLock(engine, outlet)
        if probe.acquire():
            probe.release()
            return False
        return True
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = :c "
            "AND objid::bigint = :o AND granted"),
            {"c": LOCK_CLASS % 2**32, "o": lock_key(outlet) % 2**32}).scalar_one())
