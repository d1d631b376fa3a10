"""The crawl frontier: the one component that writes frontier rows during a crawl.

Every article URL a crawl discovers is enrolled here (``pending``), leased to one
run, and settled exactly once: ``done`` in the very transaction that stores its
article (``stored``), so a crash between fetch and commit leaves it leased and the
next run fetches it again; ``gone`` or ``failed`` (retried with back-off) when the
fetch or the page is refused. Listing walks are recorded here too, so that a walk
killed half-way is walked to its end next time.

One ``Frontier`` per crawler (``from_crawler`` returns the crawler's instance): the
spider, the ledger extension and the store pipeline share it and its database, so
one connection pool serves the crawl and no component opens its own.

Settings read: PROVNEWS_DATABASE_URL, PROVNEWS_LEASE_SECONDS, PROVNEWS_MIRROR_URL (set: the rows it
writes are marked as a mirror's), PROVNEWS_ARCHIVE and PROVNEWS_ARCHIVE_REUSE_HOURS (``reusable``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy.orm import Session

from crawler.core.archive import ArchiveRef
from crawler.core.record import ArticleRecord
from crawler.core.urls import url_key
from storage import crawlstate
from storage.archive import reusable
from storage.database import open_database
from storage.engine import Database, database_url

# Drop reasons that say nothing final about the URL, and the state they leave it in.
RETRY_LATER = {"older_than_since": "pending", "challenge_page": "failed"}


def frontier_key(item: ArticleRecord) -> str:
    """The frontier row of an article: the URL it was requested under, not its canonical one."""
    return url_key(item.request_url or item.url)


@dataclass(frozen=True)
class Snapshot:
    """What a run needs to know of the frontier before it starts."""

    settled: set[str]              # keys stored or gone: never fetched again
    completed_walks: set[str]      # listings whose last walk reached its end
    due: dict[str, str]            # {key: url} left by earlier runs, to fetch first
    recheck: list[str]             # recent articles to fetch again for revisions


class Frontier:
    def __init__(self, database: Database, lease_seconds: int, mirror: bool = False,
                 reuse_within: timedelta | None = None):
        self.database = database
        self.lease_seconds = lease_seconds
        # Pages a killed crawl fetched this recently are extracted from the archive
        # rather than downloaded again (None: the archive is off, nothing to reuse).
        self.reuse_within = reuse_within
        # Fetching from a mirror (PROVNEWS_MIRROR_URL): every row written says so, and
        # a live crawl forgets such rows first (storage.crawlstate.forget_mirror_rows).
        self.mirror = mirror

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Frontier:
        shared = getattr(crawler, "provnews_frontier", None)
        if shared is not None:
            return shared
        settings = crawler.settings
        reuse = (timedelta(hours=settings.getfloat("PROVNEWS_ARCHIVE_REUSE_HOURS"))
                 if settings.getbool("PROVNEWS_ARCHIVE") else None)
        frontier = cls(open_database(database_url(settings.get("PROVNEWS_DATABASE_URL"))),
                       settings.getint("PROVNEWS_LEASE_SECONDS"), mirror=bool(settings.get("PROVNEWS_MIRROR_URL")),
                       reuse_within=reuse)
        crawler.provnews_frontier = frontier  # type: ignore[attr-defined]
        crawler.signals.connect(frontier.engine_stopped, signals.engine_stopped)
        return frontier

    def engine_stopped(self) -> None:
        self.database.engine.dispose()

    def snapshot(self, outlet: str, recheck_within: timedelta | None, recheck_after: timedelta) -> Snapshot:
        with self.database.session() as session, session.begin():
            if not self.mirror:
                crawlstate.forget_mirror_rows(session, outlet)
            return Snapshot(
                settled=crawlstate.settled_keys(session, outlet),
                completed_walks=crawlstate.completed_walks(session, outlet),
                due=crawlstate.due_urls(session, outlet),
                recheck=crawlstate.recheck_urls(session, outlet, recheck_within, recheck_after)
                if recheck_within else [],
            )

    def enrol(self, outlet: str, run_id: int | None, urls: dict[str, str]) -> set[str]:
        """Record ``{key: url}`` as pending unless known, and lease to ``run_id`` those
        that are free; the keys leased (to fetch now)."""
        with self.database.session() as session, session.begin():
            crawlstate.discover(session, outlet, urls, self.mirror)
            return crawlstate.lease(session, run_id, urls, self.lease_seconds)

    def reusable(self, keys: list[str]) -> dict[str, ArchiveRef]:
        """{key: archived page} for URLs whose page a killed crawl fetched and never stored."""
        if self.reuse_within is None or not keys:
            return {}
        with self.database.read_session() as session:
            return reusable(session, keys, datetime.now(UTC) - self.reuse_within)

    def settle(self, url: str, state: str, reason: str, vanished: bool = False) -> None:
        """A fetched or refused article URL that holds no article: ``gone`` or ``failed``.
        ``vanished``: the outlet no longer serves it, so an article stored from it gets
        ``gone_at`` (its content is kept)."""
        key = url_key(url)
        self._write(crawlstate.mark, key, state, reason, self.mirror)
        if vanished:
            self._write(crawlstate.article_gone, key, url)

    def dropped(self, item: ArticleRecord, reason: str) -> None:
        """A pipeline dropped the article: gone, unless the reason may not hold next time."""
        self._write(crawlstate.mark, frontier_key(item), RETRY_LATER.get(reason, "gone"), reason, self.mirror)

    def stored(self, session: Session, item: ArticleRecord) -> None:
        """Mark the article's URL done inside the caller's transaction, the one that stores it."""
        crawlstate.ensure_done(session, item.outlet, frontier_key(item), item.request_url or item.url, self.mirror)

    def walk_started(self, key: str, url: str, outlet: str) -> None:
        self._write(crawlstate.walk_started, key, url, outlet, self.mirror)

    def walk_completed(self, key: str) -> None:
        self._write(crawlstate.walk_completed, key)

    def release(self, run_id: int) -> None:
        """A run that stopped, killed or asked to, gives back what it leased and never fetched."""
        self._write(crawlstate.release_leases, [run_id])

    def _write(self, action: Callable[..., Any], *args: Any) -> None:
        """One short transaction per change: the frontier is always as the crawl left it."""
        with self.database.session() as session, session.begin():
            action(session, *args)
