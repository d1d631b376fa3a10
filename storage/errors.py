"""The one exception storage raises for problems the user can fix (bad URL, bad file, server down).

Driver errors that describe the *environment* rather than a bug (file locked,
disk full, read-only file, corrupt file, server gone) are turned into a
``StorageError`` by an engine ``handle_error`` hook (``storage.engine``), so every
caller that already maps ``StorageError`` to exit code 4 gets a one-line message
instead of a traceback. Constraint violations and SQL mistakes are left alone:
those are bugs and must stay loud.
"""

from __future__ import annotations

from typing import Literal

Reason = Literal["locked", "full", "readonly", "corrupt", "unavailable", "io", "missing", "other"]

# (substring of the driver message, reason, hint shown to the user)
_KNOWN: list[tuple[str, Reason, str]] = [
    ("database is locked", "locked", "another process is writing"),
    ("database is busy", "locked", "another process is writing"),
    ("database table is locked", "locked", "another process is writing"),
    ("database or disk is full", "full", "free disk space or raise the size cap"),
    ("attempt to write a readonly database", "readonly", "the file or its directory is not writable"),
    ("readonly database", "readonly", "the file or its directory is not writable"),
    ("database disk image is malformed", "corrupt", "restore it from a backup"),
    ("file is not a database", "corrupt", "it is not a SQLite database (or is damaged)"),
    ("disk i/o error", "io", "the disk reported an error"),
    ("unable to open database file", "unavailable", "check the path and its permissions"),
    ("connection refused", "unavailable", "is the server running?"),
    ("could not connect", "unavailable", "is the server running?"),
    ("connection timeout", "unavailable", "is the server running?"),
    ("timeout expired", "unavailable", "is the server running?"),
    ("server closed the connection", "unavailable", "the server went away"),
    ("terminating connection", "unavailable", "the server went away"),
    ("no space left on device", "full", "free disk space"),
    ("could not extend file", "full", "free disk space"),
    ("read-only transaction", "readonly", "the server or user is read-only"),
]


class StorageError(Exception):
    """A one-line, user-facing storage failure; the CLI maps it to a non-zero exit code.

    ``reason`` says which kind of fault it was ("locked" is the retryable one).
    """

    def __init__(self, message: str, reason: Reason = "other"):
        super().__init__(message)
        self.reason: Reason = reason


def classify(message: str) -> tuple[Reason, str] | None:
    """The reason and hint for a driver message we know, or None for anything else."""
    lowered = message.lower()
    for needle, reason, hint in _KNOWN:
        if needle in lowered:
            return reason, hint
    return None


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else type(exc).__name__
