"""URL canonicalisation: the natural key of an article is its canonical URL.

courlan does the general work (host case, default ports, ``utm_*``/``fbclid``
style trackers); we add the trackers of Vietnamese platforms (Zalo's ``zarsrc``,
``gidzl``) and drop fragments, which never select a different article here.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from courlan import normalize_url

from storage.queries import make_url_key

EXTRA_TRACKERS = frozenset({"zarsrc", "gidzl", "gclid", "fbclid", "_gl"})


def canonical_url(url: str) -> str:
    normal = urlsplit(normalize_url(url.strip(), strict=False))
    query = [(k, v) for k, v in parse_qsl(normal.query, keep_blank_values=True)
             if k.lower() not in EXTRA_TRACKERS and not k.lower().startswith("utm_")]
    return urlunsplit((normal.scheme, normal.netloc, normal.path or "/", urlencode(query), ""))


def url_key(url: str) -> str:
    """The database key of an URL: SHA-1 of its canonical form."""
    return make_url_key(canonical_url(url))
