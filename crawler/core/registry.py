"""The outlet registry: one declarative entry per news outlet.

Outlet facts are data (``crawler/outlets.yaml``), validated with pydantic at load
time so that a typo in a user's ``--sources`` file is reported with the outlet key
and the field, not discovered mid-crawl. Spiders stay generic and read only this.
"""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.core.urls import same_site

logger = logging.getLogger(__name__)

BUILTIN_REGISTRY = Path(__file__).parent.parent / "outlets.yaml"


class RegistryError(ValueError):
    """A registry file that cannot be loaded; the message names outlet and field."""


class Listing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    # A template with ``{page}`` for page 2 onwards; without it the spider follows
    # rel=next / "Trang sau" links.
    pagination: str | None = None

    @field_validator("pagination")
    @classmethod
    def _has_page_placeholder(cls, value: str | None) -> str | None:
        if value is not None and "{page}" not in value:
            raise ValueError("must contain the placeholder {page}")
        return value


class Selectors(BaseModel):
    """CSS overrides applied field by field on top of the generic extractor."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    exclude: list[str] = Field(default_factory=list)


class Schedule(BaseModel):
    """When the scheduler crawls an outlet, in the outlet's time zone: a crontab line
    (``cron: "*/30 5-23 * * *"``) or a fixed interval (``interval_minutes: 15``).
    An outlet without one is crawled every 60 minutes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str | None = None
    interval_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    @field_validator("cron")
    @classmethod
    def _valid_crontab(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"is not a valid crontab expression {value!r}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if (self.cron is None) == (self.interval_minutes is None):
            raise ValueError("give exactly one of 'cron' and 'interval_minutes'")
        return self


class Outlet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    province: str
    base_url: str
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    listings: list[Listing] = Field(default_factory=list)
    article_url_pattern: str
    robots: Literal["obey", "ignore"] = "obey"
    timezone: str = "Asia/Ho_Chi_Minh"
    selectors: Selectors = Field(default_factory=Selectors)
    # Prefixes such as "LSO-" that the outlet puts before its lead paragraph.
    dateline_prefixes: list[str] = Field(default_factory=list)
    # After the July 2025 reorganisation: the province the outlet belonged to before
    # (when it differs), other hosts that serve or served its articles, and its kind.
    former_province: str | None = None
    legacy_domains: list[str] = Field(default_factory=list)
    outlet_type: Literal["newspaper", "newspaper_broadcaster", "broadcaster", "subsite"] = "newspaper"
    # False while the entry's domain, feeds or patterns are leads seen in third-party
    # sources and not checked against the live site (see `sources check --live`).
    verified: bool = False
    # Where the facts come from (source tags of research/outlets.md, URLs).
    sources_note: str | None = None
    # When `provnews schedule run` crawls the outlet; None means every 60 minutes.
    schedule: Schedule | None = None

    @field_validator("base_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("article_url_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression: {exc}") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @cached_property
    def article_regex(self) -> re.Pattern[str]:
        return re.compile(self.article_url_pattern)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).hostname or ""

    def owns(self, url: str) -> bool:
        """True when ``url`` is on this outlet's site: its host or a legacy domain (any
        www./m./amp. variant), on the same port. Feeds and sitemaps may list any host,
        a hostile one even an internal service; only the outlet's own are followed,
        whatever ``article_url_pattern`` allows (StormCrawler's ``sitemap.strict``)."""
        try:
            port = urlsplit(url).port
        except ValueError:
            return False
        sites = (self.base_url, *(f"https://{domain}" for domain in self.legacy_domains))
        return port == urlsplit(self.base_url).port and any(same_site(url, site) for site in sites)

    def is_article_url(self, url: str) -> bool:
        return self.owns(url) and bool(self.article_regex.match(url))


def _read_entries(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"{path}: cannot read registry: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("outlets"), list):
        raise RegistryError(f"{path}: expected a top-level 'outlets:' list")
    return data["outlets"]


def _validate(entry: object, path: Path, index: int) -> Outlet:
    key = entry.get("key", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
    try:
        return Outlet.model_validate(entry)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(str(p) for p in err['loc']) or '(entry)'}': {err['msg']}"
            for err in exc.errors()
        )
        raise RegistryError(f"{path}: outlet '{key}': {problems}") from None


def load_file(path: Path, base: dict[str, Outlet] | None = None) -> list[Outlet]:
    """The outlets of a registry file. An entry whose key is in ``base`` need name only
    the fields it changes (e.g. ``schedule``); the others are ``base``'s."""
    outlets = [_validate(_over(entry, base or {}), path, i) for i, entry in enumerate(_read_entries(path))]
    seen: set[str] = set()
    for outlet in outlets:
        if outlet.key in seen:
            raise RegistryError(f"{path}: outlet '{outlet.key}' is defined twice")
        seen.add(outlet.key)
    return outlets


def _over(entry: object, base: dict[str, Outlet]) -> object:
    """``entry`` on top of the outlet of the same key in ``base``: the fields it names win."""
    if not isinstance(entry, dict) or entry.get("key") not in base:
        return entry
    return {**base[entry["key"]].model_dump(exclude_unset=True), **entry}


def load_registry(sources: Path | str | None = None) -> dict[str, Outlet]:
    """The built-in registry, with outlets from ``sources`` (a file, given by
    ``--sources``, the ``PROVNEWS_SOURCES`` setting or environment variable) added, or
    overriding the fields they name of a built-in entry of the same key."""
    registry = {o.key: o for o in load_file(BUILTIN_REGISTRY)}
    extra = sources
    if extra:
        for outlet in load_file(Path(extra), base=registry):
            if outlet.key in registry:
                logger.info("outlet %s overridden by %s", outlet.key, extra)
            registry[outlet.key] = outlet
    return registry


def outlet_for_url(registry: dict[str, Outlet], url: str) -> Outlet | None:
    """The outlet whose host serves ``url`` (ignoring a leading ``www.``)."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for outlet in registry.values():
        if outlet.host.removeprefix("www.") == host:
            return outlet
    return None
