"""What became of a run, in one word, and the exit code that carries it.

The same word is written to the ledger (``crawl_runs.status``), printed by the crawl
summary, ``schedule trigger`` and ``sources health``, and turned into the process's
exit code, so an operator reading any of them (or cron reading the code) learns the
same thing:

===========  ====  ============================================================
ok           0     every entry point and fetch answered (a 404/410 article, a
                   robots.txt refusal or a page that is no article is the site's
                   answer, not a failure)
partial      7     some routes or fetches failed, but something answered
failed       8     nothing answered: no entry point or article could be fetched
timed_out    9     the scheduler stopped the crawl at its time limit
interrupted  130   stopped by SIGINT/SIGTERM (128 + SIGINT, as shells report it)
===========  ====  ============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

Outcome = Literal["ok", "partial", "failed", "timed_out", "interrupted"]

EXIT_CODES: dict[str, int] = {"ok": 0, "partial": 7, "failed": 8, "timed_out": 9, "interrupted": 130}

# Answers of the site about one URL, not faults of the run: the page is gone, robots.txt
# forbids it, or it is a file type we never extract.
NOT_FAILURES = frozenset({"http_404", "http_410", "robots_disallowed", "unsupported_type"})

# The outcomes of runs that went to their end: their counts are complete.
RAN_TO_END: tuple[str, ...] = ("ok", "partial", "failed")


def failures(errors: Mapping[str, int]) -> int:
    """How many of a run's recorded errors (reason → count) are failures of the run."""
    return sum(count for reason, count in errors.items() if reason not in NOT_FAILURES)


def classify(*, interrupted: bool, failed_fetches: int, answered: int) -> Outcome:
    """One run's outcome. ``answered``: responses below 400 to anything but robots.txt."""
    if interrupted:
        return "interrupted"
    if failed_fetches == 0:
        return "ok"
    return "partial" if answered else "failed"


def combine(outcomes: Iterable[str]) -> str:
    """The outcome of a command that ran several crawls (one per outlet): a stop
    (interrupted, timed_out) says most; "failed" only when every crawl failed; any
    other mix with a crawl short of "ok" is "partial"."""
    seen = set(outcomes)
    for stop in ("interrupted", "timed_out"):
        if stop in seen:
            return stop
    if seen == {"failed"}:
        return "failed"
    return "partial" if seen - {"ok"} else "ok"


def outcome_of_exit(code: int) -> Outcome | None:
    """The outcome a crawl process reported through its exit code, if it is one of ours."""
    for word, value in EXIT_CODES.items():
        if value == code:
            return word  # type: ignore[return-value]
    return None
