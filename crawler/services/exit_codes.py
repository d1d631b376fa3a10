"""The exit codes every command follows (a table in the README); the HTTP API reads them
back from its scrape subprocess."""

from __future__ import annotations


class ExitCode:
    """Documented in the README; every command follows it."""

    OK = 0
    FAILURE = 1        # the command ran but did not do its job (e.g. nothing extracted)
    USAGE = 2          # bad option or argument (Typer's own code for usage errors)
    SOURCES = 3        # the outlet registry or a --sources file is invalid
    DATABASE = 4       # the database cannot be opened, read or written
    NOT_FOUND = 5      # the article, outlet or file asked for does not exist
    REFUSED = 6        # a URL refused by policy (egress guard: scheme, port, private address)
