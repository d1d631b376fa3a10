"""``python -m tests.faults.kill_in_transaction K ARGS…`` runs ``provnews ARGS…`` and
SIGKILLs itself right after its K-th article upsert, inside the store transaction
(row G2): what is written must roll back, and nothing else be lost. One article per
transaction (PROVNEWS_STORE_BATCH_SIZE=1), so the articles committed before are
exactly K - 1."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import pipelines.store as store


def main(limit: int, argv: list[str]) -> None:
    upsert = store.upsert_articles
    calls = 0

    def upsert_then_die(session: Any, items: Any) -> Any:
        nonlocal calls
        result = upsert(session, items)
        calls += len(items)
        if calls >= limit:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    store.upsert_articles = upsert_then_die
    os.environ["PROVNEWS_STORE_BATCH_SIZE"] = "1"
    sys.argv = ["provnews", *argv]
    from crawler.cli.entry import main as cli

    cli()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])
