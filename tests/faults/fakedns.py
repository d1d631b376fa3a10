"""Scripted resolvers for the DNS-rebinding test (loaded by name through TWISTED_DNS_RESOLVER
in a crawl subprocess). Every lookup and every address handed to a connection is
appended to the file named by ``$FAULTS_DNS_LOG``."""

from __future__ import annotations

import os
import threading

from crawler.fetching.egress import EgressGuardResolver

_lock = threading.Lock()
_calls: dict[str, int] = {}


def _log(line: str) -> None:
    with open(os.environ["FAULTS_DNS_LOG"], "a", encoding="utf-8") as f:
        f.write(line + "\n")


class RebindingResolver(EgressGuardResolver):
    """``rebind.test`` answers 127.0.0.1 (the allowlisted stand-in for a public
    address) once, then 127.0.0.2, where the "internal" server listens."""

    @staticmethod
    def lookup(host: str, port: int) -> list[str]:
        with _lock:
            _calls[host] = _calls.get(host, 0) + 1
            n = _calls[host]
        answer = ["127.0.0.1"] if n == 1 else ["127.0.0.2"]
        _log(f"lookup {host} {answer[0]}")
        return answer

    @staticmethod
    def connected(host: str, address: str, port: int) -> None:
        _log(f"connect {host} {address}")
