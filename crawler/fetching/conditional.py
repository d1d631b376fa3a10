"""Conditional requests for an outlet's entry points: feeds, sitemaps, first listing pages.

An entry point fetched in full before is asked for with ``If-None-Match`` /
``If-Modified-Since``; a 304 means unchanged: the spider does not parse it, walks no
further down its listing, and asks instead for the entry points its last full body
named (storage.entrypoints). Validators are recorded only after what the body led
to is stored, so a 304 never hides work a killed run left undone.

Hosts can lie. One that keeps a validator while the body changes shows it on any
200 and loses conditional requests (``host_policies``). One that answers 304 to a
changed entry point can only be caught by looking: an entry point whose last full
fetch is older than PROVNEWS_VALIDATOR_AUDIT_HOURS is asked unconditionally, and that
200 is compared like any other.

Settings read: PROVNEWS_CONDITIONAL, PROVNEWS_VALIDATOR_AUDIT_HOURS.
Stats written: ``provnews/conditional/sent`` (requests that carried validators),
``.../not_modified``, ``.../audit``, ``.../host_disabled``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.core.urls import url_key
from storage import entrypoints
from storage.engine import Database

logger = logging.getLogger(__name__)

NOT_MODIFIED = 304
# A 304 must reach the callback (HttpErrorMiddleware would drop it), and no HTTP cache
# may revalidate on its own and hand back a stored 200 in its place.
REQUEST_META = {"handle_httpstatus_list": [NOT_MODIFIED], "dont_cache": True}
# What an entry point's body names: a sitemap index its sitemaps, a listing page its feeds.
CHILD_ROUTE = {"sitemap": "sitemap", "listing": "feed"}


class Revalidation:
    """One outlet's stored validators, loaded when its run starts, and the hosts distrusted."""

    def __init__(self, crawler: Any, database: Database, outlet: str, *, enabled: bool, audit_after: timedelta,
                 mirror: bool):
        self.crawler = crawler  # its stats exist only once the crawl starts
        self.database = database
        self.outlet = outlet
        self.enabled = enabled
        self.audit_after = audit_after
        self.mirror = mirror  # fetching from a mirror: its entry points are kept apart
        with database.session() as session, session.begin():
            self.known = entrypoints.load(session, outlet, mirror)
            self.distrusted = entrypoints.distrusted_hosts(session)

    @classmethod
    def from_crawler(cls, crawler: Any, database: Database, outlet: str, mirror: bool) -> Revalidation:
        settings = crawler.settings
        return cls(crawler, database, outlet, enabled=settings.getbool("PROVNEWS_CONDITIONAL"),
                   audit_after=timedelta(hours=settings.getfloat("PROVNEWS_VALIDATOR_AUDIT_HOURS")), mirror=mirror)

    def headers(self, url: str) -> dict[str, str]:
        """The validators to send for ``url``: none when switched off, never fetched in
        full, its host distrusted, or its audit due."""
        stored = self.known.get(url_key(url))
        if not self.enabled or stored is None or stored.fetched_at is None:
            return {}
        if urlsplit(url).hostname in self.distrusted:
            return {}
        if stored.fetched_at <= datetime.now(UTC) - self.audit_after:
            self.crawler.stats.inc_value("provnews/conditional/audit")
            return {}
        headers = {"If-None-Match": stored.etag, "If-Modified-Since": stored.last_modified}
        headers = {name: value for name, value in headers.items() if value}
        if headers:
            self.crawler.stats.inc_value("provnews/conditional/sent")
        return headers

    def not_modified(self, response: Response) -> bool:
        if response.status != NOT_MODIFIED:
            return False
        self.crawler.stats.inc_value("provnews/conditional/not_modified")
        logger.debug("not modified: %s", response.url)
        return True

    def children(self, response: Response) -> list[str]:
        """What the entry point named when it was last fetched in full."""
        key = url_key(requested_url(response))
        return [entry.url for entry in self.known.values() if entry.parent_key == key]

    def fetched(self, response: Response, route: str, children: list[str] | None = None) -> None:
        """Record a full fetch (and, unless None, the entry points it names); distrust
        the host if its validators lie."""
        url = requested_url(response)
        key, host = url_key(url), urlsplit(url).hostname or ""
        etag, modified = _header(response, b"ETag"), _header(response, b"Last-Modified")
        with self.database.session() as session, session.begin():
            lie = entrypoints.record_fetch(session, key, url, self.outlet, route, etag, modified, response.body,
                                           self.mirror)
            if children is not None:
                named = {url_key(child): child for child in children}
                entrypoints.name_children(session, key, self.outlet, CHILD_ROUTE[route], named, self.mirror)
            lie = lie if host not in self.distrusted else None  # told once is enough
            if lie:
                entrypoints.distrust(session, host, f"{lie}: {url}")
        if lie:
            self.distrusted.add(host)
            self.crawler.stats.inc_value("provnews/conditional/host_disabled")
            logger.warning("conditional requests off for host %s: %s at %s", host, lie, url)


def requested_url(response: Response) -> str:
    """The URL the spider asked for, before redirects: what validators are kept under."""
    return response.meta.get("redirect_urls", [response.url])[0]


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
