"""Crawl state in the database: the frontier of article URLs, the run ledger, the fetch log.

The database is the only durable state: a URL is leased to
one run at a time and becomes ``done`` only in the transaction that stores its
article, so a run killed at any moment loses nothing: the next run finds the
killed run's leases (its process is gone) and fetches those URLs again.

States: ``pending`` (discovered), ``leased`` (a live run is fetching it), ``done``
(stored), ``failed`` (a transient error; due again at ``next_fetch_at``), ``gone``
(permanent: 404/410, not an article, dropped by validation).

Helpers take a Session and never commit: the caller frames the transaction.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from crawler.core.outcome import RAN_TO_END
from crawler.core.urls import make_url_key
from storage.models import (
    Article,
    ArticleUrl,
    CrawlRun,
    FetchLog,
    FrontierUrl,
    ListingWalk,
)
from storage.queries import dialect_insert

MAX_ATTEMPTS = 3
RETRY_BASE = timedelta(minutes=30)
HOST = socket.gethostname()


def now() -> datetime:
    return datetime.now(UTC)


# --- runs --------------------------------------------------------------------------


def start_run(session: Session, outlet: str, trigger: str, *, worker: str | None = None,
              mirror: bool = False) -> int:
    """A ``running`` row for this process; ``worker``: the Celery worker running the crawl,
    if any; ``mirror``: the run fetches from a mirror."""
    run = CrawlRun(outlet=outlet, trigger=trigger, started_at=now(), status="running",
                   pid=os.getpid(), host=HOST, worker=worker, mirror=mirror)
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, **counts: Any) -> None:
    session.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
        status=status, finished_at=now(), **counts))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_dead_runs(session: Session, outlet: str, status: str = "killed") -> list[int]:
    """Mark this host's runs whose process is gone as ``status`` and free their leases.

    Runs of other hosts are left to their leases' expiry: their processes cannot be
    probed from here.
    """
    running = session.execute(select(CrawlRun.id, CrawlRun.pid).where(
        CrawlRun.outlet == outlet, CrawlRun.status == "running", CrawlRun.host == HOST)).all()
    dead = [run_id for run_id, pid in running if not _alive(pid)]
    if dead:
        session.execute(update(CrawlRun).where(CrawlRun.id.in_(dead)).values(status=status, finished_at=now()))
        release_leases(session, dead)
    return dead


def reap_worker_runs(session: Session, outlet: str) -> list[int]:
    """Mark the outlet's runs that a worker's job started and that still say ``running``
    as ``killed``, on any host, and free their leases.

    Only for a caller that holds the outlet's lock (``storage.outlet_lock``): every
    worker job crawls under that lock, and its crawl process dies with it, so such a
    run still ``running`` belongs to a dead worker, whatever host it ran on (a run of
    another host is otherwise left to its leases' expiry: see ``reap_dead_runs``).
    """
    dead = list(session.scalars(select(CrawlRun.id).where(
        CrawlRun.outlet == outlet, CrawlRun.status == "running", CrawlRun.worker.is_not(None))))
    if dead:
        session.execute(update(CrawlRun).where(CrawlRun.id.in_(dead)).values(status="killed", finished_at=now()))
        release_leases(session, dead)
    return dead


def finished_run_since(session: Session, outlet: str, since: datetime) -> int | None:
    """The id of a run of the outlet that started at or after ``since`` and went to its
    end (ok, partial, failed), or None: a crawl job enqueued at ``since`` is then done."""
    return session.scalars(select(CrawlRun.id).where(
        CrawlRun.outlet == outlet, CrawlRun.status.in_(RAN_TO_END), CrawlRun.started_at >= since)
        .order_by(CrawlRun.id).limit(1)).first()


def close_runs_of(session: Session, pid: int, since: datetime, status: str) -> None:
    """Set ``status`` on the runs process ``pid`` of this host started since ``since``,
    whether it closed them (as interrupted) or died with them running; free their leases."""
    stmt = select(CrawlRun.id).where(CrawlRun.pid == pid, CrawlRun.host == HOST, CrawlRun.started_at >= since,
                                     CrawlRun.status.in_(("running", "interrupted")))
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(update(CrawlRun).where(CrawlRun.id.in_(ids)).values(
            status=status, finished_at=func.coalesce(CrawlRun.finished_at, now())))
        release_leases(session, ids)


def record_unbegun_runs(session: Session, pid: int, since: datetime, outlets: Iterable[str], trigger: str,
                        mirror: bool, status: str) -> list[str]:
    """A finished row of ``status`` for each of ``outlets`` that process ``pid`` of this host
    started no run of since ``since``: its crawl was stopped before its spider opened, and
    the ledger still says it was asked for and why it did nothing. The outlets recorded."""
    begun = set(session.scalars(select(CrawlRun.outlet).where(CrawlRun.pid == pid, CrawlRun.host == HOST,
                                                              CrawlRun.started_at >= since)))
    missing = [outlet for outlet in dict.fromkeys(outlets) if outlet not in begun]
    stamp = now()
    session.add_all([CrawlRun(outlet=outlet, trigger=trigger, started_at=stamp, finished_at=stamp, status=status,
                              pid=pid, host=HOST, mirror=mirror) for outlet in missing])
    return missing


def release_leases(session: Session, run_ids: list[int]) -> None:
    """Give the URLs still leased to these runs back to the frontier (``pending``):
    a run that stopped, killed or asked to, will not fetch them."""
    session.execute(update(FrontierUrl).where(FrontierUrl.lease_run.in_(run_ids), FrontierUrl.state == "leased")
                    .values(state="pending", lease_until=None, lease_run=None))


def last_interval(session: Session, outlet: str, mirror: bool) -> int | None:
    """The cadence the latest finished run of the outlet chose (adaptive scheduling),
    among runs of the outlet itself or (``mirror``) of a mirror of it."""
    stmt = (select(CrawlRun.interval_minutes).where(CrawlRun.outlet == outlet, CrawlRun.finished_at.is_not(None),
                                                    CrawlRun.interval_minutes.is_not(None),
                                                    CrawlRun.mirror.is_(mirror))
            .order_by(CrawlRun.id.desc()).limit(1))
    return session.scalar(stmt)


def recent_runs(session: Session, outlet: str | None = None, limit: int = 20) -> list[CrawlRun]:
    stmt = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if outlet:
        stmt = stmt.where(CrawlRun.outlet == outlet)
    return list(session.scalars(stmt))


def finished_runs(session: Session, outlet: str, limit: int, mirror: bool) -> list[CrawlRun]:
    """The outlet's latest runs that went to their end (ok, partial or failed), newest
    first: route choice learns from them (a killed or interrupted run's counts are
    incomplete). Only runs of the same kind: a mirror's routes say nothing of the outlet's."""
    stmt = (select(CrawlRun).where(CrawlRun.outlet == outlet, CrawlRun.status.in_(RAN_TO_END),
                                   CrawlRun.mirror.is_(mirror))
            .order_by(CrawlRun.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def count_finished_runs(session: Session, outlet: str, mirror: bool) -> int:
    stmt = select(func.count()).select_from(CrawlRun).where(CrawlRun.outlet == outlet,
                                                              CrawlRun.status.in_(RAN_TO_END),
                                                              CrawlRun.mirror.is_(mirror))
    return session.scalar(stmt) or 0


def log_fetches(session: Session, run_id: int | None, rows: Iterable[dict[str, Any]]) -> None:
    values = [{"run_id": run_id, **row} for row in rows]
    if values:
        session.execute(dialect_insert(session)(FetchLog), values)


def annotate_fetch(session: Session, run_id: int | None, url: str, reason: str) -> None:
    """Give the run's latest reason-less fetch of ``url`` a reason code: a page that
    came back 200 but was refused for its content (a soft-404, a challenge page)."""
    latest = (select(func.max(FetchLog.id)).where(FetchLog.run_id == run_id, FetchLog.url == url,
                                                FetchLog.reason.is_(None)).scalar_subquery())
    session.execute(update(FetchLog).where(FetchLog.id == latest).values(reason=reason))


# --- frontier ----------------------------------------------------------------------


def forget_mirror_rows(session: Session, outlet: str) -> None:
    """Before a live crawl: URLs a mirror crawl settled are pending again, with none of
    the mirror's validators, and its listing walks are forgotten, so the outlet itself
    is asked for every one of them."""
    session.execute(update(FrontierUrl).where(FrontierUrl.outlet == outlet, FrontierUrl.mirror.is_(True)).values(
        state="pending", mirror=False, attempts=0, reason=None, next_fetch_at=None, lease_run=None,
        lease_until=None, etag=None, last_modified=None, body_hash=None, updated_at=now()))
    session.execute(delete(ListingWalk).where(ListingWalk.outlet == outlet, ListingWalk.mirror.is_(True)))


def discover(session: Session, outlet: str, urls: dict[str, str], mirror: bool = False) -> set[str]:
    """Record ``{url_key: url}`` as pending unless known; the keys that were new.
    ``mirror``: the crawl fetches from a mirror (and so do the rows it writes)."""
    if not urls:
        return set()
    known = set(session.scalars(select(FrontierUrl.url_key).where(FrontierUrl.url_key.in_(list(urls)))))
    fresh = {key: url for key, url in urls.items() if key not in known}
    if fresh:
        stamp = now()
        stmt = dialect_insert(session)(FrontierUrl).values([
            {"url_key": key, "url": url, "outlet": outlet, "state": "pending", "attempts": 0, "updated_at": stamp,
             "mirror": mirror}
            for key, url in fresh.items()]).on_conflict_do_nothing(index_elements=["url_key"])
        session.execute(stmt)
    return set(fresh)


def lease(session: Session, run_id: int, keys: Iterable[str], seconds: int) -> set[str]:
    """Lease the given URLs to ``run_id`` if they are pending, failed-and-due, or held
    by an expired lease; the keys actually leased."""
    keys = list(keys)
    if not keys:
        return set()
    stamp = now()
    due = or_(FrontierUrl.state == "pending",
              (FrontierUrl.state == "failed") & (FrontierUrl.next_fetch_at <= stamp),
              (FrontierUrl.state == "leased") & (FrontierUrl.lease_until < stamp))
    candidates = set(session.scalars(select(FrontierUrl.url_key).where(FrontierUrl.url_key.in_(keys), due)))
    if candidates:
        session.execute(update(FrontierUrl).where(FrontierUrl.url_key.in_(candidates)).values(
            state="leased", lease_run=run_id, lease_until=stamp + timedelta(seconds=seconds), updated_at=stamp))
    return candidates


def due_urls(session: Session, outlet: str, limit: int = 10_000) -> dict[str, str]:
    """URLs of the outlet that a run should fetch without rediscovering them: pending,
    failed and due again, or held by an expired lease."""
    stamp = now()
    stmt = select(FrontierUrl.url_key, FrontierUrl.url).where(
        FrontierUrl.outlet == outlet,
        or_(FrontierUrl.state == "pending",
            (FrontierUrl.state == "failed") & (FrontierUrl.next_fetch_at <= stamp),
            (FrontierUrl.state == "leased") & (FrontierUrl.lease_until < stamp)),
    ).limit(limit)
    return dict(session.execute(stmt).all())


def recheck_urls(session: Session, outlet: str, published_within: timedelta,
                 fetched_before: timedelta) -> list[str]:
    """Recent articles not fetched for a while: re-fetched to catch revisions."""
    stamp = now()
    stmt = select(Article.url).where(
        Article.outlet == outlet, Article.published_at >= stamp - published_within,
        Article.last_seen_at < stamp - fetched_before)
    return list(session.scalars(stmt))


def settled_keys(session: Session, outlet: str) -> set[str]:
    """Keys a crawl need not fetch again: stored (done) or permanently gone."""
    stmt = select(FrontierUrl.url_key).where(FrontierUrl.outlet == outlet, FrontierUrl.state.in_(("done", "gone")))
    return set(session.scalars(stmt))


def mark(session: Session, key: str, state: str, reason: str | None = None, mirror: bool = False) -> None:
    """Settle a leased URL: ``done``, ``gone``, or ``failed`` (retried with back-off, then gone)."""
    stamp = now()
    values: dict[str, Any] = {"state": state, "reason": reason, "lease_until": None, "lease_run": None,
                              "updated_at": stamp, "mirror": mirror}
    if state == "failed":
        attempts = session.scalar(select(FrontierUrl.attempts).where(FrontierUrl.url_key == key)) or 0
        values["attempts"] = attempts + 1
        if attempts + 1 >= MAX_ATTEMPTS:
            values["state"] = "gone"
        else:
            values["next_fetch_at"] = stamp + RETRY_BASE * 2 ** attempts
    session.execute(update(FrontierUrl).where(FrontierUrl.url_key == key).values(**values))


def article_gone(session: Session, key: str, url: str) -> None:
    """The outlet stopped serving the article fetched at ``url`` (``key``: its URL
    key): stamp ``gone_at`` once and keep the content. No-op for an URL never stored."""
    seen_at = select(ArticleUrl.article_id).where(ArticleUrl.url_key == make_url_key(url))
    session.execute(update(Article).where(or_(Article.url_key == key, Article.id.in_(seen_at)),
                                          Article.gone_at.is_(None)).values(gone_at=now()))


def ensure_done(session: Session, outlet: str | None, key: str, url: str, mirror: bool = False) -> None:
    """Mark stored: inserting the row when the URL never went through discovery (``scrape``)."""
    stamp = now()
    stmt = dialect_insert(session)(FrontierUrl).values(
        url_key=key, url=url, outlet=outlet, state="done", attempts=0, updated_at=stamp, mirror=mirror)
    session.execute(stmt.on_conflict_do_update(index_elements=["url_key"], set_={
        "state": "done", "lease_until": None, "lease_run": None, "reason": None, "updated_at": stamp,
        "mirror": mirror}))


def ensure_done_many(session: Session, rows: Iterable[tuple[str | None, str, str]], mirror: bool = False) -> None:
    """``ensure_done`` for many (outlet, key, url) rows, in one statement."""
    by_key = {key: {"url_key": key, "url": url, "outlet": outlet} for outlet, key, url in rows}
    if not by_key:
        return
    stamp = now()
    stmt = dialect_insert(session)(FrontierUrl)
    stmt = stmt.values(state="done", attempts=0, updated_at=stamp, mirror=mirror).on_conflict_do_update(
        index_elements=["url_key"], set_={"state": "done", "lease_until": None, "lease_run": None, "reason": None,
                                          "updated_at": stamp, "mirror": mirror})
    session.execute(stmt, list(by_key.values()))


# --- listing walks -------------------------------------------------------------------


def completed_walks(session: Session, outlet: str) -> set[str]:
    """Keys of the outlet's listings whose last walk reached its end."""
    stmt = select(ListingWalk.url_key).where(ListingWalk.outlet == outlet, ListingWalk.completed_at.is_not(None))
    return set(session.scalars(stmt))


def walk_started(session: Session, key: str, url: str, outlet: str, mirror: bool = False) -> None:
    values = {"url": url, "outlet": outlet, "started_at": now(), "completed_at": None, "mirror": mirror}
    stmt = dialect_insert(session)(ListingWalk).values(url_key=key, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["url_key"], set_=values))


def walk_completed(session: Session, key: str) -> None:
    session.execute(update(ListingWalk).where(ListingWalk.url_key == key).values(completed_at=now()))
