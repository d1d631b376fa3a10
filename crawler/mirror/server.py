"""A local HTTP server for recorded outlet sites.

Each folder under ``sites/`` is one host (``sites/baolangson.vn``). Requests are routed
by their ``Host`` header, which the crawler's mirror download handler keeps set to
the outlet's real host, so a crawl of the mirror runs exactly the code of a live crawl.

Inside a site folder a URL path maps to a file (a directory to its ``index.html``);
``routes.tsv`` maps anything else (query strings, statuses, content types):
``path_and_query<TAB>file<TAB>status<TAB>content_type``.

Static files are served as nginx serves them: with an ``ETag`` (a hash of the bytes)
and a ``Last-Modified`` (the file's mtime), and a bodiless 304 to a request whose
``If-None-Match`` / ``If-Modified-Since`` still matches.

Every request is counted per host and path (``hits``), with its status (``statuses``)
and whether it carried validators (``conditional``), so tests can assert what a
crawl fetched, what it did not, and what it was spared. With a ``request_log`` file, every
answered request is also appended to it as one JSON line: host, path, status, the
client (``X-Provnews-Client``, sent by the mirror download handler) and when the
request was read and when its answer was written (``start``, ``end``, Unix seconds),
so a test can check, across processes, which requests to one host were in flight at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

logger = logging.getLogger(__name__)

SITES_DIR = Path(__file__).with_name("sites")
# Asked of the mirror's own address (no outlet Host header): the hosts it serves.
SITES_INDEX = "/__sites"
# For a browser, which cannot set the Host header: / lists the outlets, and
# /site/HOST/PATH answers what HOST/PATH would.
BROWSE_PREFIX = "/site/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
}


@dataclass(frozen=True)
class Route:
    file: str
    status: int
    content_type: str | None


def read_routes(site: Path) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    table = site / "routes.tsv"
    if not table.exists():
        return routes
    for line in table.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        path, file, status, *rest = line.split("\t")
        routes[path] = Route(file, int(status), rest[0] if rest and rest[0] else None)
    return routes


class MirrorSite:
    """One recorded host: resolves a request target to (status, headers, body)."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.routes = read_routes(self.root)

    def resolve(self, target: str) -> tuple[int, str, bytes]:
        route = self.routes.get(target)
        path = self._file(target)
        if route is not None:
            return route.status, route.content_type or self._type(route.file), path.read_bytes() if path else b""
        if path is None:
            return HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", b"<h1>404</h1>"
        return HTTPStatus.OK, self._type(path.name), path.read_bytes()

    def _file(self, target: str) -> Path | None:
        """The file ``target`` is served from, if there is one."""
        route = self.routes.get(target)
        if route is not None:
            path = self._safe(route.file)
        elif "?" in target:  # a query string is served only through routes.tsv
            return None
        else:
            path = self._safe(target.lstrip("/"))
            if path is not None and path.is_dir():
                path = path / "index.html"
        return path if path is not None and path.is_file() else None

    def validators(self, target: str, body: bytes) -> dict[str, str]:
        """``ETag`` and ``Last-Modified`` of the file a 200 for ``target`` served."""
        path = self._file(target)
        if path is None:
            return {}
        return {"ETag": f'"{hashlib.sha256(body).hexdigest()[:16]}"',
                "Last-Modified": formatdate(path.stat().st_mtime, usegmt=True)}

    def not_modified(self, request_headers: Message, validators: dict[str, str]) -> bool:
        """nginx's rule: If-None-Match decides when sent (weak comparison); otherwise
        If-Modified-Since must equal Last-Modified (nginx's default ``if_modified_since exact``)."""
        if_none_match = request_headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or validators["ETag"] in tags
        since = request_headers.get("If-Modified-Since")
        return since is not None and _http_date(since) == _http_date(validators["Last-Modified"])

    def _safe(self, relative: str) -> Path | None:
        """The file for ``relative`` if it stays inside the site folder."""
        candidate = (self.root / relative).resolve()
        return candidate if candidate.is_relative_to(self.root) else None

    @staticmethod
    def _type(name: str) -> str:
        suffix = Path(name).suffix
        if suffix in CONTENT_TYPES:
            return CONTENT_TYPES[suffix]
        if not suffix:
            return "text/html; charset=utf-8"
        return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sites_dir: Path = SITES_DIR, host: str = "127.0.0.1", port: int = 0,
                 request_log: Path | None = None):
        self.sites = {p.name: MirrorSite(p) for p in sorted(sites_dir.iterdir()) if p.is_dir()}
        # Line-buffered: a line is in the file when its request is answered, whenever the server is stopped.
        self.request_log = open(request_log, "a", buffering=1, encoding="utf-8") if request_log else None  # noqa: SIM115
        self.hits: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[tuple[str, str, int]] = Counter()
        self.conditional: Counter[tuple[str, str]] = Counter()
        self._hits_lock = threading.Lock()
        super().__init__((host, port), MirrorRequestHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def site_for(self, host_header: str) -> MirrorSite | None:
        host = host_header.rsplit(":", 1)[0] if not host_header.startswith("[") else host_header
        return self.sites.get(host) or self.sites.get(host.removeprefix("www."))

    def count(self, host: str, target: str) -> None:
        with self._hits_lock:
            self.hits[(host, target)] += 1

    def count_answer(self, host: str, target: str, status: int, conditional: bool) -> None:
        with self._hits_lock:
            self.statuses[(host, target, status)] += 1
            self.conditional[(host, target)] += conditional

    def log_request(self, entry: dict[str, object]) -> None:
        if self.request_log is not None:
            with self._hits_lock:
                self.request_log.write(json.dumps(entry) + "\n")

    def server_close(self) -> None:
        super().server_close()
        if self.request_log is not None:
            self.request_log.close()

    def clear_counts(self) -> None:
        with self._hits_lock:
            self.hits.clear()
            self.statuses.clear()
            self.conditional.clear()

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="mirror", daemon=True)
        thread.start()
        return thread


class MirrorRequestHandler(BaseHTTPRequestHandler):
    server: MirrorServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        start = time.time()
        host, path = self._target()
        self.server.count(host.rsplit(":", 1)[0], path)
        site = self.server.site_for(host)
        validators: dict[str, str] = {}
        if site is None and path == SITES_INDEX:
            status, ctype = HTTPStatus.OK, "application/json"
            body = json.dumps(sorted(self.server.sites)).encode()
        elif site is None and path == "/":
            status, ctype, body = HTTPStatus.OK, "text/html; charset=utf-8", self._index()
        elif site is None:
            status, ctype, body = HTTPStatus.NOT_FOUND, "text/plain", b"unknown host (the list is at /)"
        else:
            status, ctype, body = site.resolve(path)
            validators = site.validators(path, body) if status == HTTPStatus.OK else {}
            if validators and site.not_modified(self.headers, validators):
                status, body = HTTPStatus.NOT_MODIFIED, b""
        conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
        self.server.count_answer(host.rsplit(":", 1)[0], path, status, conditional)
        self.send_response(status)
        for name, value in validators.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:  # a 304 has no body to describe
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        self.wfile.flush()
        self.server.log_request({"host": host.rsplit(":", 1)[0], "path": path, "status": int(status),
                                 "client": self.headers.get("X-Provnews-Client"), "start": start,
                                 "end": time.time()})

    def _target(self) -> tuple[str, str]:
        """(host, path) asked for: from the Host header, or, when it names no mirrored
        site (a browser's), from a /site/HOST/PATH path."""
        host = self.headers.get("Host", "")
        if self.server.site_for(host) is None and self.path.startswith(BROWSE_PREFIX):
            site, _, rest = self.path.removeprefix(BROWSE_PREFIX).partition("/")
            return site, "/" + rest
        return host, self.path

    def _index(self) -> bytes:
        items = "".join(f'<li><a href="{BROWSE_PREFIX}{name}/">{name}</a></li>' for name in sorted(self.server.sites))
        return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>provnews mirror</title></head>'
                f"<body><h1>provnews mirror</h1><p>Crawl it with <code>--mirror {self.server.url}</code>."
                f"</p><ul>{items}</ul></body></html>").encode()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("mirror: " + format, *args)


def mirrored_hosts(mirror_url: str, timeout: float = 10) -> list[str]:
    """The hosts a running mirror serves (asked over HTTP, so any mirror process works)."""
    with urlopen(mirror_url.rstrip("/") + SITES_INDEX, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())
