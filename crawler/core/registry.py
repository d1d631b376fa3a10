"""The outlet registry: one declarative entry per news outlet.

Outlet facts are data (``crawler/outlets.yaml``), validated with pydantic at load
time so that a typo in a user's ``--sources`` file is reported with the outlet key
and the field, not discovered mid-crawl. Spiders stay generic and read only this.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timezone
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    AfterValidator,
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
# Public URLs and pages seen for each outlet, one YAML file per outlet key (see
# crawler/registry_evidence/README.md); tests/crawler/test_registry_evidence.py holds the
# registry's patterns against them.
EVIDENCE_DIR = Path(__file__).parent.parent / "registry_evidence"


def _compiles(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"is not a valid regular expression: {exc}") from exc
    return value


Regex = Annotated[str, AfterValidator(_compiles)]  # a URL pattern of the registry: must compile


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


class LegacyPattern(BaseModel):
    """An article URL form the outlet used before (an older CMS or domain), with the
    years it was in use when known. Documentation and evidence only: the crawler
    still takes article URLs by ``article_url_pattern`` alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: Regex
    since: int | None = Field(default=None, ge=1990, le=2100)
    until: int | None = Field(default=None, ge=1990, le=2100)
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LegacyPattern:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise ValueError("'since' is after 'until'")
        return self

    @property
    def years(self) -> str:
        return f"{self.since or '?'}-{self.until or '?'}"


class Outlet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9_-]+$")
    name: str
    province: str
    base_url: str
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    listings: list[Listing] = Field(default_factory=list)
    article_url_pattern: Regex
    # Older article URL forms (previous CMS or domain) and the years they were used.
    legacy_patterns: list[LegacyPattern] = Field(default_factory=list)
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

    def legacy_pattern_for(self, url: str) -> LegacyPattern | None:
        """The first ``legacy_patterns`` entry that matches ``url`` on the outlet's site."""
        if not self.owns(url):
            return None
        return next((lp for lp in self.legacy_patterns if re.match(lp.pattern, url)), None)


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
    overriding the fields they name of a built-in entry of the same key.

    Read once per process while the files are unchanged: each crawler's spider and
    store ask for it, and parsing and validating the YAML was a quarter of a crawl
    process's time (bench.pipeline --profile). The outlets are frozen; the dict is a copy."""
    extra = Path(sources) if sources else None
    return dict(_registry(_stamp(BUILTIN_REGISTRY), _stamp(extra) if extra else None))


def _stamp(path: Path) -> tuple[Path, int, int]:
    """A file as a cache key: its path, modification time and size (an edit changes them)."""
    try:
        stat = path.stat()
    except OSError:
        return path, -1, -1  # load_file reports the missing file
    return path, stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=8)
def _registry(builtin: tuple[Path, int, int], extra: tuple[Path, int, int] | None) -> dict[str, Outlet]:
    registry = {o.key: o for o in load_file(builtin[0])}
    if extra:
        for outlet in load_file(extra[0], base=registry):
            if outlet.key in registry:
                logger.info("outlet %s overridden by %s", outlet.key, extra[0])
            registry[outlet.key] = outlet
    return registry


def outlet_for_url(registry: dict[str, Outlet], url: str) -> Outlet | None:
    """The outlet whose host serves ``url`` (ignoring a leading ``www.``)."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    for outlet in registry.values():
        if outlet.host.removeprefix("www.") == host:
            return outlet
    return None


# --- Evidence: public URLs and pages seen for each outlet -------------------------------

EvidenceKind = Literal["article", "listing", "home", "feed", "sitemap", "other"]
EvidenceLevel = Literal["none", "urls", "urls+page"]


class EvidenceUrl(BaseModel):
    """One URL of an outlet seen in a public copy. ``article`` URLs must match the
    outlet's ``article_url_pattern`` or a ``legacy_patterns`` entry; every other kind
    (``other``: an outlet URL that is neither, such as a video, tag or print page or a
    foreign-language sub-site) must match neither."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    kind: EvidenceKind
    # Where it was seen: the corpus and the page address, or repository, path and
    # commit (or the index id of the file when only that is known).
    source: str
    # Publication (or capture) date as far as the source tells: YYYY, YYYY-MM or YYYY-MM-DD.
    date: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    # True when the article's own page (or its full text) is stored at the source.
    page: bool = False
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        # YAML reads an unquoted 2026-01-08 as a date and 2026 as an int; both are fine here.
        if isinstance(value, date):
            return value.isoformat()
        return str(value) if isinstance(value, int) else value


class Evidence(BaseModel):
    """The evidence file of one outlet (crawler/registry_evidence/<key>.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outlet: str
    collected: date
    # Where else was looked (queries, repositories) when little or nothing was found.
    looked: list[str] = Field(default_factory=list)
    urls: list[EvidenceUrl] = Field(default_factory=list)

    @property
    def articles(self) -> list[EvidenceUrl]:
        return [u for u in self.urls if u.kind == "article"]

    @property
    def level(self) -> EvidenceLevel:
        articles = self.articles
        if not articles:
            return "none"
        return "urls+page" if any(u.page for u in articles) else "urls"

    @property
    def newest(self) -> str | None:
        """The most recent date any piece of evidence carries."""
        return max((u.date for u in self.urls if u.date), default=None)


def load_evidence(key: str, directory: Path = EVIDENCE_DIR) -> Evidence | None:
    path = directory / f"{key}.yaml"
    if not path.is_file():
        return None
    try:
        return Evidence.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RegistryError(f"{path}: invalid evidence file: {exc}") from None


def evidence_summary(key: str, directory: Path = EVIDENCE_DIR) -> dict:
    """Level, newest date and counts of an outlet's evidence, for display."""
    evidence = load_evidence(key, directory)
    if evidence is None:
        return {"level": "none", "newest": None, "collected": None, "articles": 0, "pages": 0}
    return {"level": evidence.level, "newest": evidence.newest, "collected": evidence.collected.isoformat(),
            "articles": len(evidence.articles), "pages": sum(u.page for u in evidence.articles)}


# --- Live checks: `sources check --live` results, kept in a local file -------------------

DEFAULT_LIVE_CHECKS = Path("provnews-live-checks.yaml")


def load_live_checks(path: Path | str = DEFAULT_LIVE_CHECKS) -> dict[str, dict]:
    """Per outlet key, the last live check recorded in the overrides file (empty when
    there is none). ``verified`` is ``live`` only for an outlet whose probes all passed."""
    file = Path(path)
    if not file.is_file():
        return {}
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"{file}: cannot read live checks: {exc}") from exc
    outlets = data.get("outlets") if isinstance(data, dict) else None
    if not isinstance(outlets, dict):
        raise RegistryError(f"{file}: expected a top-level 'outlets:' mapping")
    return outlets


def record_live_checks(probes: list[dict], path: Path | str = DEFAULT_LIVE_CHECKS,
                       checked_at: str | None = None) -> Path:
    """Merge the probes of a live `sources check` into the overrides file, one entry per
    outlet (replacing its previous one), and return the file's path."""
    file = Path(path)
    outlets = load_live_checks(file)
    stamp = checked_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    for key in dict.fromkeys(p["outlet"] for p in probes):
        own = [p for p in probes if p["outlet"] == key]
        outlets[key] = {
            "verified": "live" if all(p["ok"] for p in own) else "failed",
            "checked_at": stamp,
            "probes": [{k: p.get(k) for k in ("kind", "url", "status", "articles", "problem", "ok")} for p in own],
        }
    header = ("# Results of `provnews sources check --live`, one entry per outlet; share this file to\n"
              "# tell others which registry entries answered from the live sites, and when.\n")
    file.write_text(header + yaml.safe_dump({"outlets": outlets}, allow_unicode=True, sort_keys=True),
                    encoding="utf-8")
    return file
