"""Fixtures for the fault suite: the misbehaving server, an "internal" server, and a
crawl runner that runs one crawl in a subprocess with setting overrides."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.faults.evil import CANARY, EvilServer, InternalServer

ROOT = Path(__file__).parents[2]

# Short deadlines and back-off so a fault costs seconds, not minutes; the logic is the
# production one (crawler/settings.py keeps the real values).
FAST = {
    "DOWNLOAD_TIMEOUT": 2,
    "RETRY_TIMES": 1,
    "PROVNEWS_RETRY_BACKOFF_BASE": 0.05,
    "PROVNEWS_RETRY_BACKOFF_MAX": 0.2,
    "DOWNLOAD_DELAY": 0,
}


@pytest.fixture(scope="session")
def canary_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("canary") / "canary.txt"
    path.write_text(CANARY + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def evil(canary_file: Path) -> Iterator[EvilServer]:
    server = EvilServer(canary_file=canary_file).start()
    yield server
    server.stop()


@pytest.fixture
def internal() -> Iterator[InternalServer]:
    server = InternalServer().start()
    yield server
    server.stop()


@dataclass
class CrawlResult:
    returncode: int
    stats: dict[str, Any]
    stored: list[str]
    elapsed: float
    rss_growth_mib: float
    rss_after_mib: float
    log: str
    db: Path

    def errors(self, prefix: str = "provnews/fetch/error/") -> dict[str, int]:
        """Recorded reason codes. ``FetchError`` is left out: until the spider's errback
        reads ``failure.value.reason``, it counts each refusal a second time under the
        exception's type name (see test_recording.py)."""
        return {k.removeprefix(prefix): v for k, v in self.stats.items()
                if k.startswith(prefix) and k != prefix + "FetchError"}

    def db_text(self) -> str:
        """Every stored text column, joined: to look for strings that must not be stored."""
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT url, coalesce(title,''), coalesce(text,''), "
                                "coalesce(summary,'') FROM articles").fetchall()
        return "\n".join("\t".join(r) for r in rows)


def run_crawl(tmp_path: Path, *, spider: str = "urls", urls: list[str] | None = None,
              outlet: str | None = None, sources: str | None = None, mirror: str | None = None,
              settings: dict[str, Any] | None = None, timeout: float = 120, **options: Any) -> CrawlResult:
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "provnews.db"
    spec: dict[str, Any] = {"spider": spider, "urls": urls or [], "outlet": outlet, "db": f"sqlite:///{db}",
                            "mirror": mirror, "settings": {**FAST, **(settings or {})}, **options}
    if sources is not None:
        path = tmp_path / "sources.yaml"
        path.write_text(sources, encoding="utf-8")
        spec["sources"] = str(path)
    spec_path, out_path = tmp_path / "spec.json", tmp_path / "out.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
    proc = subprocess.run([sys.executable, "-m", "tests.faults.child", str(spec_path), str(out_path)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)
    if proc.returncode != 0 or not out_path.exists():
        raise AssertionError(f"crawl child failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    out = json.loads(out_path.read_text(encoding="utf-8"))
    return CrawlResult(proc.returncode, out["stats"], out["stored"], out["elapsed"],
                       (out["rss_after_kib"] - out["rss_before_kib"]) / 1024, out["rss_after_kib"] / 1024,
                       proc.stderr, db)


def outlet_sources(host: str, *, feeds: list[str] = (), sitemaps: list[str] = (),
                   listings: list[str] = (), pattern: str | None = None) -> str:
    """A registry file with one outlet on ``host`` (fetched through the mirror handler)."""
    def urls(paths: list[str]) -> str:
        return "[" + ", ".join(f'"https://{host}{p}"' for p in paths) + "]"
    listing_yaml = "".join(f'\n      - url: "https://{host}{p}"' for p in listings)
    regex = pattern or rf"^https://{host.replace('.', chr(92) + '.')}/art/[a-z0-9.-]+$"
    return (f"outlets:\n  - key: evil\n    name: \"Báo Thử\"\n    province: \"Lạng Sơn\"\n"
            f"    base_url: \"https://{host}\"\n    feeds: {urls(list(feeds))}\n"
            f"    sitemaps: {urls(list(sitemaps))}\n"
            + (f"    listings:{listing_yaml}\n" if listings else "")
            + f"    article_url_pattern: '{regex}'\n")
