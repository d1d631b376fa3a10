"""The process's entry point (``provnews`` and ``python -m crawler``): SIGINT and SIGTERM
are ours from the first line to the last.

Until a handler is installed, SIGTERM meets the default disposition and kills the
process (exit -15, nothing recorded). So the handlers come first, before anything slow
is imported (Typer and the command table took 0.3-0.5 s on a loaded machine: a window in
which a signal killed the process), and the command is imported inside the ``try``. At
the end, Python's finalization resets every handler it installed to the default before
tearing the modules down (1-2 s for a crawl's 180,000 objects on a loaded machine): a
SIGTERM then killed a process whose work was done. The work being over, the signals are
ignored instead, which Python's finalization keeps. Only the interpreter's own start-up,
before this module runs, is left to the defaults.
"""

from __future__ import annotations

import gc
import signal
import sys

from crawler.core.outcome import EXIT_CODES

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM outside a crawl (a crawl installs its own handlers). A
    BaseException, so neither ``except Exception`` nor Click (which turns a
    KeyboardInterrupt into "Aborted!" and exit 1) stops it on its way to ``main``."""


def _interrupt(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def _ignore_signals() -> None:
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def main() -> None:
    for signum in SIGNALS:
        signal.signal(signum, _interrupt)
    try:
        try:
            from crawler.cli.main import app

            app()  # Click's standalone mode: always ends in SystemExit
        finally:
            # A signal before this line raises Interrupted, caught below; after it, the
            # signal is ignored: either way it cannot meet the default disposition.
            _ignore_signals()
    except (Interrupted, KeyboardInterrupt):
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_CODES["interrupted"])
    finally:
        # Nothing will run after this but teardown: a last collection of every object
        # the command made only delays the exit (1-2 s after a crawl, 0.2 s frozen).
        gc.freeze()
