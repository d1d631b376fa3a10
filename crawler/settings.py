"""Scrapy settings for provnews, and every ``PROVNEWS_*`` default in one place.

Politeness first: we are a guest on small newsroom servers, so a host gets at most
two requests at once, a second between them, and robots.txt is obeyed.

Any ``PROVNEWS_*`` setting below may also come from the environment: the edge that
starts a crawl (``crawler.services.crawl.build_settings``) or a server reads it once
with ``from_environment`` and hands the values down; no component reads
``os.environ`` itself.
"""

import json
import os
from collections.abc import Mapping
from typing import Any

from crawler import __version__

BOT_NAME = "provnews"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- Identity and politeness -------------------------------------------------
# Names the project so a webmaster can tell who we are; PROVNEWS_CONTACT (an URL or
# e-mail, set by the operator) is appended by crawler.services.crawl when given.
USER_AGENT = f"provnews/{__version__} (Vietnamese provincial news archiver)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5       # ±50 %, so requests do not arrive in lockstep
COOKIES_ENABLED = False

# --- Resource limits ---------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True
# Downloaded pages waiting for extraction and storage, per crawler. It was 16 KB (about
# one real page) while a killed run had to download again every page it had fetched
# and not stored; those pages are now reused from the archive (PROVNEWS_ARCHIVE_REUSE_HOURS),
# and one page at a time would starve the extraction pool. Memory stays bounded by the
# pool's gate (crawler.spiders.pool: twice the workers' pages, process-wide).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 2 * 1024 * 1024
RETRY_TIMES = 3
REDIRECT_MAX_TIMES = 5
METAREFRESH_MAXDELAY = 5
URLLENGTH_LIMIT = 2083
# Every limit hit is recorded as provnews/fetch/error/<reason> (crawler.fetching.errors).
PROVNEWS_SITEMAP_MAXSIZE = 50 * 1024 * 1024   # the sitemap protocol's limit; bounds decompression too
PROVNEWS_ROBOTS_MAXSIZE = 512 * 1024          # a bigger robots.txt is treated as unavailable
PROVNEWS_MAX_URL_SEGMENTS = 20                # /a/b/…: more segments is a trap
PROVNEWS_MAX_SEGMENT_REPEATS = 2              # /a/x/a/y/a/: a third repeat is a trap
PROVNEWS_RETRY_BACKOFF_BASE = 1.0             # seconds; doubles per attempt, ±50 % jitter
PROVNEWS_RETRY_BACKOFF_MAX = 30.0
PROVNEWS_RETRY_AFTER_MAX = 60.0               # a longer Retry-After: give up for this run
PROVNEWS_MAX_CRAWL_DELAY = 30.0               # robots.txt asking for longer: host skipped this run
PROVNEWS_ARTICLE_TYPES = ["text/html", "application/xhtml+xml"]   # other types are never extracted
# A 200 article with fewer bytes is an empty or error page, not an article: the
# shortest text the validator keeps (PROVNEWS_MIN_WORDS) takes more, with its markup.
PROVNEWS_MIN_BODY_BYTES = 128
# Egress guard for user-supplied URLs (crawler.fetching.egress); the runner enables it for `scrape`.
PROVNEWS_EGRESS_GUARD = False
PROVNEWS_EGRESS_ALLOW_PRIVATE = False         # `scrape --allow-private`
PROVNEWS_EGRESS_ALLOW = []                    # "ip" or "ip:port" entries exempt from the address check
PROVNEWS_EGRESS_PORTS = [80, 443]

DOWNLOADER_MIDDLEWARES = {
    "crawler.fetching.outcome.FetchOutcomeMiddleware": 40,       # outermost: records unhandled failures
    "crawler.fetching.egress.EgressGuardMiddleware": 55,             # before robots.txt is fetched
    "crawler.fetching.limits.RequestLimitsMiddleware": 60,
    "crawler.archive.middleware.ArchiveMiddleware": 65,                # after the article checks: what extraction reads
    "crawler.fetching.article_types.ArticleResponseMiddleware": 70,    # sees responses last: decompressed, final
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.fetching.robots.RobotsPolicyMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.fetching.retry.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.fetching.compression.BoundedCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.fetching.redirect.StrictRedirectMiddleware": 600,
    "crawler.spiders.pool.ExtractionGateMiddleware": 950,             # last: holds article pages the pool cannot take yet
}

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False

# --- Item pipelines: normalise < validate < dedup < store ----------------------
ITEM_PIPELINES = {
    "pipelines.normalise.NormalisePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.store.StorePipeline": 400,
}

# --- provnews ------------------------------------------------------------------
PROVNEWS_DATABASE_URL = None       # None → $PROVNEWS_DATABASE_URL or sqlite:///provnews.db
PROVNEWS_SOURCES = None            # extra registry file (adds or overrides outlets)
PROVNEWS_MIRROR_URL = None         # e.g. http://127.0.0.1:8000: fetch from a local mirror
PROVNEWS_SINCE = None              # ISO date: skip and stop at older articles
PROVNEWS_MIN_WORDS = 20            # shorter texts are dropped as "too_short" (a photo story's lead passes)
PROVNEWS_MAX_LISTING_PAGES = 50    # page cap per listing per run
# Articles per transaction, written in a handful of multi-row statements whatever the
# size (pipelines.store); a batch is also committed once its first article is a second
# old. A kill loses no download for it: the uncommitted pages are in the archive.
PROVNEWS_STORE_BATCH_SIZE = 100
# Processes extracting fetched pages (crawler.spiders.pool), shared by every crawl of
# the process; 0 or 1: in the crawl process itself. Default: the cores this process may
# use. A killed crawl's fetched-but-unstored pages are not downloaded again: the next
# crawl extracts them from the archive (PROVNEWS_ARCHIVE_REUSE_HOURS).
PROVNEWS_EXTRACT_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
PROVNEWS_LEASE_SECONDS = 600       # a leased URL is anyone's again after this (or when its run died)
PROVNEWS_RECHECK_DAYS = 3          # articles published this recently are re-fetched for revisions…
PROVNEWS_RECHECK_AFTER_HOURS = 12  # …when their last fetch is older than this
# Route choice (crawler.discovery.routing): order and skip routes by what the last N finished runs
# measured (0: every route on every run, default order); every K-th run fetches every route.
PROVNEWS_ROUTE_HISTORY_RUNS = 10
PROVNEWS_ROUTE_AUDIT_EVERY = 24    # hourly crawls: one audit a day
PROVNEWS_TRIGGER = "manual"        # recorded in crawl_runs: manual | schedule | demo | scrape
PROVNEWS_WORKER = None             # set by `provnews worker` for its crawls: recorded in crawl_runs.worker
PROVNEWS_STORY_THRESHOLD = 0.5     # estimated Jaccard similarity that makes two texts one story
# Feeds, sitemaps and first listing pages are asked for with If-None-Match /
# If-Modified-Since (crawler.fetching.conditional): an unchanged one costs a bodiless 304.
PROVNEWS_CONDITIONAL = True
# A server may answer 304 although the content changed, which no 304 can reveal: an
# entry point not fetched in full for this long is fetched unconditionally and its
# body hash compared, so such a host loses conditional requests within a day.
PROVNEWS_VALIDATOR_AUDIT_HOURS = 24
# The raw archive (crawler.archive): every article response as a WARC record, which
# articles and versions point to; `provnews reextract` reads it instead of the network.
PROVNEWS_ARCHIVE = True
PROVNEWS_ARCHIVE_DIR = None        # None → provnews-archive/ beside the SQLite file (else ~/.local/share/provnews/archive)
PROVNEWS_ARCHIVE_MAX_BYTES = 100 * 1024 * 1024   # a new WARC file past this size
# A crawl killed between fetch and store leaves pages in the archive that no article
# points to; the next crawl extracts those fetched this recently instead of downloading
# them again (crawler.archive.middleware). Older ones are fetched afresh.
PROVNEWS_ARCHIVE_REUSE_HOURS = 12.0
PROVNEWS_REEXTRACT_CHUNK = 20      # articles per re-extraction transaction: what a killed run reads again

EXTENSIONS = {
    "crawler.ledger.LedgerExtension": 500,
}

# --- the environment ---------------------------------------------------------------
# Operator settings that have no default above, read from the environment only.
PROVNEWS_CONTACT = None            # an URL or e-mail appended to USER_AGENT
# The web app (crawler.web, `provnews serve`) is read-only unless this is set: its scrape
# form then asks for this token (and `serve --web-scrape` must allow the form at all).
PROVNEWS_WEB_TOKEN = None
# Crawls on Celery workers (crawler.workers): the broker (redis://… or amqp://…) that
# `schedule run`, `enqueue`, `worker` and `workers` use when --broker is not given.
PROVNEWS_BROKER_URL = None
# Seconds a Redis broker waits for a job's ack before giving it to another worker. It
# must exceed the longest job (the crawl time limit, 3600 s by default), or a job still
# running is delivered a second time (harmless under the outlet lock, but a wasted
# crawl); the lower it is, the sooner a killed worker's job runs again elsewhere.
# RabbitMQ redelivers as soon as the worker's connection closes and ignores it.
PROVNEWS_BROKER_VISIBILITY_TIMEOUT = 7200

_LIST_SEPARATOR = ","


def _typed(name: str, raw: str, default: Any) -> Any:
    """``raw`` in the type of the setting's default (a list: comma separated)."""
    if isinstance(default, bool):
        if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"{name}={raw!r} is not true or false")
        return raw.strip().lower() in ("1", "true", "yes")
    if isinstance(default, (int, float)):
        try:
            return type(default)(raw)
        except ValueError:
            raise ValueError(f"{name}={raw!r} is not a {type(default).__name__}") from None
    if isinstance(default, list):
        return [item.strip() for item in raw.split(_LIST_SEPARATOR) if item.strip()]
    return raw


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``PROVNEWS_*`` settings the environment sets, typed like their defaults;
    ``PROVNEWS_CONTACT`` also extends ``USER_AGENT``. Raises ValueError naming a bad one."""
    environ = os.environ if environ is None else environ
    defaults = {k: v for k, v in globals().items() if k.startswith("PROVNEWS_")}
    found = {name: _typed(name, environ[name], default)
             for name, default in defaults.items() if environ.get(name, "").strip()}
    if found.get("PROVNEWS_CONTACT"):
        found["USER_AGENT"] = f"{USER_AGENT[:-1]}; +{found['PROVNEWS_CONTACT']})"
    return found


def as_environment(values: Mapping[str, Any]) -> dict[str, str]:
    """The inverse, for a subprocess: settings as the environment variables that give them."""
    def text(value: Any) -> str:
        if isinstance(value, list):
            return _LIST_SEPARATOR.join(map(str, value))
        return json.dumps(value) if isinstance(value, bool) else str(value)

    return {name: text(value) for name, value in values.items() if name.startswith("PROVNEWS_") and value is not None}
