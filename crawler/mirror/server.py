"""A local HTTP server for recorded outlet sites.

Each folder under ``sites/`` is one host (``sites/baolangson.vn``). Requests are routed
by their ``Host`` header, which the crawler's mirror download handler keeps set to
the outlet's real host, so a crawl of the mirror runs exactly the code of a live crawl.

Inside a site folder a URL path maps to a file (a directory to its ``index.html``);
``routes.tsv`` maps anything else (query strings, statuses, content types):
``path_and_query<TAB>file<TAB>status<TAB>content_type``.

Every request is counted per host and path (``hits``), so tests can assert what a
crawl fetched and what it did not.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import threading
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

logger = logging.getLogger(__name__)

SITES_DIR = Path(__file__).with_name("sites")
# Asked of the mirror's own address (no outlet Host header): the hosts it serves.
SITES_INDEX = "/__sites"
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
        if route is not None:
            path = self._safe(route.file)
            body = path.read_bytes() if path and path.is_file() else b""
            return route.status, route.content_type or self._type(route.file), body
        path_only = target.split("?", 1)[0]
        path = self._safe(path_only.lstrip("/"))
        if path is not None and path.is_dir():
            path = path / "index.html"
        if "?" in target or path is None or not path.is_file():
            return HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", b"<h1>404</h1>"
        return HTTPStatus.OK, self._type(path.name), path.read_bytes()

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


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sites_dir: Path = SITES_DIR, host: str = "127.0.0.1", port: int = 0):
        self.sites = {p.name: MirrorSite(p) for p in sorted(sites_dir.iterdir()) if p.is_dir()}
        self.hits: Counter[tuple[str, str]] = Counter()
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
        host = self.headers.get("Host", "")
        self.server.count(host.rsplit(":", 1)[0], self.path)
        site = self.server.site_for(host)
        if site is None and self.path == SITES_INDEX:
            status, ctype = HTTPStatus.OK, "application/json"
            body = json.dumps(sorted(self.server.sites)).encode()
        elif site is None:
            status, ctype, body = HTTPStatus.NOT_FOUND, "text/plain", b"unknown host"
        else:
            status, ctype, body = site.resolve(self.path)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.debug("mirror: " + format, *args)


def mirrored_hosts(mirror_url: str, timeout: float = 10) -> list[str]:
    """The hosts a running mirror serves (asked over HTTP, so any mirror process works)."""
    with urlopen(mirror_url.rstrip("/") + SITES_INDEX, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())
