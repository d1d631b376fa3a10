"""The exit codes every command follows (a table in the README); the HTTP API reads them
back from its scrape subprocess."""

from __future__ import annotations

from crawler.core.outcome import EXIT_CODES


class ExitCode:
    """Documented in the README; every command follows it."""

    OK = 0
    FAILURE = 1        # the command ran but did not do its job (e.g. nothing extracted)
    USAGE = 2          # bad option or argument (Typer's own code for usage errors)
    SOURCES = 3        # the outlet registry or a --sources file is invalid
    DATABASE = 4       # the database cannot be opened, read or written
    NOT_FOUND = 5      # the article, outlet or file asked for does not exist
    REFUSED = 6        # a URL refused by policy (egress guard: scheme, port, private address)
    PORT_IN_USE = 10   # `serve` or `mirror serve`: the port is taken by another process
    # A crawl's outcome (crawler.core.outcome): ok is 0.
    PARTIAL = EXIT_CODES["partial"]          # 7: some routes or fetches failed
    FAILED = EXIT_CODES["failed"]            # 8: nothing answered
    TIMED_OUT = EXIT_CODES["timed_out"]      # 9: stopped at the scheduler's time limit
    INTERRUPTED = EXIT_CODES["interrupted"]  # 130: stopped by SIGINT/SIGTERM


def outcome_exit(outcome: str) -> int:
    """The exit code of a command whose result is a run outcome."""
    return EXIT_CODES[outcome]
