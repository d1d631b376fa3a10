"""URL canonicalisation: the natural key of an article is its canonical URL.

Two forms, two jobs:

``canonical_url(url, preferred_host=None)``
    The clean URL we store and show, still fetchable as written. courlan's
    ``normalize_url`` does the general work (scheme and host case, punycode,
    default ports, dot segments, sorted query, ``utm_*``/``fbclid``/``gclid``
    style trackers); on top of it we drop the trackers of Vietnamese platforms
    (Zalo's ``zarsrc``, ``gidzl``), session ids (``?sid=``, ``;jsessionid=``), fragments, AMP variants (``amp.`` host,
    ``/amp/`` segment, ``.amp.html``, ``?amp``/``?amp=1``, ``outputType=amp``)
    and a trailing ``index.html``/``index.php``/``default.aspx``.

    Hosts: ``m.``, ``mobile.`` and ``amp.`` are always dropped (they are mirrors
    of the desktop page, never the form an outlet calls canonical). ``www.`` is
    kept as given, since only the outlet knows which form it serves; pass the
    registry's ``base_url`` host as ``preferred_host`` and every variant of that
    site (bare, ``www.``, ``m.``, ``amp.``) is rewritten to it.

``url_key(url, preferred_host=None)``
    SHA-1 of the *identity* form, which further folds what never tells two
    articles apart on a news site: ``http``/``https``, a leading ``www.`` and a
    trailing slash. So ``http://www.x.vn/a/`` and ``https://x.vn/a`` share a key
    even when the registry entry is unknown.

``choose_canonical(fetched_url, page_canonical)`` decides whether the page's
own ``rel=canonical``/``og:url`` may replace the URL it was fetched from.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# courlan drops utm_*, fbclid, gclid, ref... but not these; listed again so the
# rule does not depend on a courlan version.
EXTRA_TRACKERS = frozenset({
    "zarsrc", "gidzl", "gclid", "fbclid", "_gl", "gad_source", "gbraid", "wbraid",
    "msclkid", "yclid", "dclid", "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
})
# Session ids (courlan drops only names containing "session"): each visitor gets its
# own, so every listing link would otherwise be a new URL of the same article.
SESSION_PARAMS = frozenset({"sid", "sessid", "phpsessid", "jsessionid", "aspsessionid", "cfid", "cftoken"})
# A servlet session id rides in the path: /a.html;jsessionid=AB12
PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
# Query parameters that only ask for the AMP rendering of the same article.
AMP_PARAMS = frozenset({"amp", "amp_js_v", "amp_gsa", "usqp"})
MIRROR_HOST_PREFIXES = ("m.", "mobile.", "amp.")
INDEX_PAGE = re.compile(r"(?<=/)(?:index|default)\.(?:html?|php|aspx?)$", re.IGNORECASE)
AMP_SUFFIX = re.compile(r"\.amp(\.html?)$", re.IGNORECASE)


def _site(host: str) -> str:
    """The host without www./m./mobile./amp. prefixes: what "same site" compares."""
    host = host.lower().rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in ("www.", *MIRROR_HOST_PREFIXES):
            if host.startswith(prefix) and host.count(".") > 1:
                host, changed = host[len(prefix):], True
    return host


def _host(netloc: str, preferred_host: str | None) -> str:
    host, sep, port = netloc.rpartition(":") if netloc.count(":") == 1 else (netloc, "", "")
    if preferred_host:
        preferred = preferred_host.lower()
        if _site(host) == _site(preferred):
            host = preferred
    else:
        while host.startswith(MIRROR_HOST_PREFIXES) and host.count(".") > 1:
            host = host.split(".", 1)[1]
    return f"{host}{sep}{port}"


def _path(path: str) -> str:
    segments = path.split("/")
    # /amp/slug.html, /slug.html/amp, /slug/amp/
    if len(segments) > 2 and segments[1].lower() == "amp":
        del segments[1]
    while len(segments) > 2 and segments[-1] == "" and segments[-2].lower() == "amp":
        del segments[-2]
    if len(segments) > 2 and segments[-1].lower() == "amp":
        segments[-1] = ""
        if segments[-2] and "." in segments[-2]:  # /a.html/amp -> /a.html
            segments.pop()
    path = "/".join(segments) or "/"
    path = AMP_SUFFIX.sub(r"\1", path)
    return INDEX_PAGE.sub("", path)


def _query(query: str) -> str:
    kept = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        lower = key.lower()
        if lower in EXTRA_TRACKERS or lower in SESSION_PARAMS or lower.startswith("utm_") or lower in AMP_PARAMS:
            continue
        if lower == "outputtype" and value.lower() == "amp":
            continue
        kept.append((key, value))
    return urlencode(kept)


def canonical_url(url: str, preferred_host: str | None = None) -> str:
    """The clean, still fetchable form of ``url`` (see the module docstring)."""
    normal = urlsplit(normalize_url(PATH_SESSION.sub("", url.strip()), strict=False))
    return urlunsplit((
        normal.scheme,
        _host(normal.netloc, preferred_host),
        _path(normal.path or "/"),
        _query(normal.query),
        "",
    ))


def identity_url(url: str, preferred_host: str | None = None) -> str:
    """The form two URLs of one article share: https, no www., no trailing slash."""
    parts = urlsplit(canonical_url(url, preferred_host))
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    host = parts.netloc[4:] if parts.netloc.startswith("www.") and parts.netloc.count(".") > 1 else parts.netloc
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, parts.query, ""))


def make_url_key(url: str) -> str:
    """SHA-1 hex of an URL exactly as given (``url_key`` normalises it first)."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


def url_key(url: str, preferred_host: str | None = None) -> str:
    """The database key of an URL: SHA-1 of its identity form."""
    return make_url_key(identity_url(url, preferred_host))


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on one outlet's site (www./m./amp. variants included)."""
    ha, hb = _site(urlsplit(a).hostname or ""), _site(urlsplit(b).hostname or "")
    return bool(ha) and ha == hb


def choose_canonical(fetched_url: str, page_canonical: str | None, preferred_host: str | None = None) -> str:
    """The URL to store for a page: its own rel=canonical/og:url when trustworthy.

    The page's claim is taken (resolved against the fetched URL) only when it is
    http(s), on the same site, and not the home page of an inner page (a common
    CMS template bug that would fold every article into one key). Otherwise the
    fetched URL, canonicalised, is kept.
    """
    fetched = canonical_url(fetched_url, preferred_host)
    if not page_canonical or not page_canonical.strip():
        return fetched
    claimed = urljoin(fetched_url, page_canonical.strip())
    parts = urlsplit(claimed)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return fetched
    if not same_site(claimed, fetched_url):
        return fetched
    if (parts.path or "/") == "/" and not parts.query and urlsplit(fetched).path not in ("", "/"):
        return fetched
    return canonical_url(claimed, preferred_host)
