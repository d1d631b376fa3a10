"""Entry points (feeds, sitemaps, first listing pages) and whether their hosts' validators hold.

A recrawl asks for an entry point with the ``ETag`` / ``Last-Modified`` of its last
full fetch, so an unchanged one costs a bodiless 304. That is only safe while the
host's validators tell the truth: a 200 whose ETag (or, without one, Last-Modified)
equals the stored one but whose body hash differs shows they do not, and the host
is then asked unconditionally from then on (``host_policies.conditional = false``).

Entry points named by another one (the children of a sitemap index, the feeds a
listing page advertises) keep that parent's key: when the parent answers 304 its
body is not read, and the children are asked for from here instead. They are named
in the transaction that settles the parent, so a run killed before fetching them
leaves them to the next run rather than losing them.

Helpers take a Session and never commit: the caller frames the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import EntryPoint, HostPolicy
from storage.queries import dialect_insert


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Stored:
    """An entry point as the last run left it."""

    url: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime | None
    parent_key: str | None


def load(session: Session, outlet: str, mirror: bool) -> dict[str, Stored]:
    """The outlet's entry points by url_key, as a crawl of the outlet itself or (``mirror``)
    of a mirror of it left them: a mirror's validators and children say nothing of the outlet's."""
    rows = session.execute(select(
        EntryPoint.url_key, EntryPoint.url, EntryPoint.etag, EntryPoint.last_modified, EntryPoint.fetched_at,
        EntryPoint.parent_key).where(EntryPoint.outlet == outlet, EntryPoint.mirror.is_(mirror)))
    return {key: Stored(url, etag, modified, fetched, parent) for key, url, etag, modified, fetched, parent in rows}


def distrusted_hosts(session: Session) -> set[str]:
    """Hosts that must not be asked conditionally."""
    return set(session.scalars(select(HostPolicy.host).where(HostPolicy.conditional.is_(False))))


def record_fetch(session: Session, key: str, url: str, outlet: str, route: str,
                 etag: str | None, last_modified: str | None, body: bytes, mirror: bool) -> str | None:
    """Store a full (200) fetch's validators and body hash; why the validators lie,
    or None when they may be trusted. ``mirror``: fetched from a mirror, compared only
    with what a mirror served before (a recording is not the outlet's current page)."""
    digest, stamp = body_hash(body), datetime.now(UTC)
    old = session.get(EntryPoint, key)
    if old is not None and old.mirror != mirror:
        old = None
    lie = _lie(old, etag, last_modified, digest) if old is not None else None
    values = {"url": url, "outlet": outlet, "route": route, "etag": etag, "last_modified": last_modified,
              "body_hash": digest, "fetched_at": stamp, "mirror": mirror}
    if old is None or old.body_hash != digest:
        values["changed_at"] = stamp
    stmt = dialect_insert(session)(EntryPoint).values(url_key=key, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["url_key"], set_=values))
    return lie


def _lie(old: EntryPoint, etag: str | None, last_modified: str | None, digest: str) -> str | None:
    """A validator a 304 would have been given for, on a body that changed. The ETag
    decides when the response has one (its Last-Modified may lag a second behind)."""
    if old.body_hash is None or old.body_hash == digest:
        return None
    if etag is not None:
        return f"ETag {etag} kept while the body changed" if etag == old.etag else None
    if last_modified is not None and last_modified == old.last_modified:
        return f"Last-Modified {last_modified} kept while the body changed"
    return None


def name_children(session: Session, parent_key: str, outlet: str, route: str, children: dict[str, str],
                  mirror: bool) -> None:
    """Record ``{url_key: url}`` as the entry points ``parent_key`` names now, forgetting
    the ones it no longer names. Known children of the same kind (``mirror`` or not)
    keep their validators; a child known from the other kind is taken over without them."""
    session.execute(delete(EntryPoint).where(EntryPoint.parent_key == parent_key,
                                             EntryPoint.url_key.not_in(list(children))))
    if not children:
        return
    session.execute(delete(EntryPoint).where(EntryPoint.url_key.in_(list(children)),
                                             EntryPoint.mirror.is_not(mirror)))
    rows = [{"url_key": key, "url": url, "outlet": outlet, "route": route, "parent_key": parent_key,
             "mirror": mirror} for key, url in children.items()]
    stmt = dialect_insert(session)(EntryPoint).values(rows)
    session.execute(stmt.on_conflict_do_update(index_elements=["url_key"],
                                               set_={"parent_key": stmt.excluded.parent_key}))


def distrust(session: Session, host: str, reason: str) -> None:
    """Stop asking ``host`` conditionally."""
    values = {"conditional": False, "reason": reason, "updated_at": datetime.now(UTC)}
    stmt = dialect_insert(session)(HostPolicy).values(host=host, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["host"], set_=values))

