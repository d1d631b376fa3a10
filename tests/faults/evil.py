"""F-EVIL: a misbehaving HTTP server on 127.0.0.1.

Raw asyncio streams in a background thread, so every byte, pause and lie is under
control. Requests are counted per ``(host, path)`` (the ``Host`` header, which the
mirror download handler sets to the real host; the query string is left out) with
timestamps, so each test uses its own made-up host and reads only its own counts.

Routes (the path decides; ``server.robots[host]`` decides what /robots.txt does):

- transport: ``/stall``, ``/hang-after-headers``, ``/drip?bps=N``, ``/lie-length``,
  ``/broken-chunked`` (closes before the last chunk), ``/rst`` (TCP reset mid-body;
  ``?at=head``: before the answer),
  ``/huge?mb=N`` (chunked), ``/huge-cl?mb=N`` (honest Content-Length)
- compression: ``/bomb.gz``, ``/bomb.br`` (brotli installed), ``/bomb.zst``
  (zstandard installed) with Content-Encoding; ``/raw-gzip-html`` without it
- statuses: ``/flaky/<token>?fail=K&code=503&retry_after=S``, ``/to?loc=URL``,
  ``/loop/a`` ⇄ ``/loop/b``, ``/chain/<n>`` (n hops to an article)
- XML: ``/feed/xxe-file.xml``, ``/feed/xxe-http.xml``, ``/feed/lol.xml``,
  ``/sitemap/huge.xml`` (60 MiB, gzip Content-Encoding), ``/sitemap/huge-raw.xml``
  (60 MiB declared length), ``/canary-hit`` (must never be fetched)
- traps: ``/cal/<yyyy>/<mm>``, ``/a/…`` (links ``a/``), ``/list?page=N``
- content: ``/art/<slug>`` (a good article),
  ``/bin/<pdf|png|octet>/<slug>`` (not HTML), ``/empty/<slug>``, ``/tiny/<slug>``,
  ``/soft404/<slug>``, ``/challenge/<slug>``,
  ``/enc/cp1258-undeclared``, ``/enc/utf8-declared-latin1``, ``/enc/meta-vs-header``
- feeds: ``/feed/many-<n>.xml`` lists n articles (others list 3)
- robots.txt modes: allow, disallow-private, stall, huge, garbage, ``crawl-delay=N``, a status

The server also listens on ``ALIAS_HOST`` (same port) when it can, so a redirect can
leave the origin (A12); ``in_flight`` and ``peak`` count open requests per host (A13).
"""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import struct
import threading
import time
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SEED = Path(__file__).parents[1] / "crawler" / "fixtures" / "seed-paragraphs.txt"
BOMB_SIZE = 100 * 1024 * 1024
HUGE_SITEMAP_SIZE = 60 * 1024 * 1024
CANARY = "CANARY-7f3a-do-not-store"
VI_TITLE = "Thành phố Hồ Chí Minh, tỉnh Quảng Ngãi đón đoàn công tác"
CP1258_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# The opening of a page typed in the TCVN3 font, read as Latin-1 (D5).
TCVN3_TEXT = ("§oµn KiÓm tra cña Ban BÝ th\u2212 ®· lµm viÖc víi Ban Th\u2212êng vô TØnh ñy L¹ng S¬n "
              "vµ c¸c ®ång chÝ l·nh ®¹o tØnh vÒ c«ng t¸c x©y dùng §¶ng n¨m 2025.")
# Prefixes of the content-row routes (see the module docstring), served by _content.
CONTENT_PREFIXES = ("/sitemap/nest/", "/xml/", "/enc/nfd", "/enc/nfc", "/enc/tcvn3", "/hollow/", "/track/",
                    "/vanish/")
# Another loopback address, another origin on the same port (127.0.0.2 is the F4
# test's "internal" twin on this port).
ALIAS_HOST = "127.0.0.3"
NOT_HTML = {"pdf": ("application/pdf", b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n"),
            "png": ("image/png", b"\x89PNG\r\n\x1a\n" + bytes(4096)),
            "octet": ("application/octet-stream", bytes(range(256)) * 16)}


def paragraphs() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n\n")


def article_html(title: str, n: int = 3, charset: str | None = "utf-8") -> str:
    """A good article; its text depends on the title, so the dedup stage keeps each one."""
    paras = paragraphs()
    start = zlib.crc32(title.encode()) % len(paras)
    chosen = [(paras * 2)[start + i] for i in range(n)]
    body = f"<p>{title}: tin từ phóng viên thường trú.</p>" + "".join(f"<p>{p}</p>" for p in chosen)
    meta = f'<meta charset="{charset}">' if charset else ""
    return (f'<html lang="vi"><head>{meta}<title>{title}</title></head><body>'
            f'<h1>{title}</h1><div class="date">08:00 | 05/07/2025</div>'
            f'<article>{body}</article></body></html>')


def cp1258_bytes(text: str) -> bytes:
    """``text`` as windows-1258 writes Vietnamese: letters with their shape marks
    (ă â ê ô ơ ư) precomposed, tone marks as combining characters after them."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in parts if c in CP1258_TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in CP1258_TONES)) + tones)
    return "".join(out).encode("cp1258")


def _compress_zeros(kind: str) -> bytes | None:
    zeros = bytes(BOMB_SIZE)
    if kind == "gzip":
        return gzip.compress(zeros, compresslevel=9)
    if kind == "br":
        try:
            import brotli
        except ImportError:
            return None
        return brotli.compress(zeros, quality=5)
    if kind == "zstd":
        try:
            import zstandard
        except ImportError:
            return None
        return zstandard.ZstdCompressor(level=3).compress(zeros)
    raise ValueError(kind)


def _huge_sitemap(host: str) -> bytes:
    head = b'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    line = f"<url><loc>https://{host}/art/same-1.html</loc></url>\n".encode()
    reps = (HUGE_SITEMAP_SIZE - len(head)) // len(line) + 1
    return head + line * reps + b"</urlset>"


@dataclass
class Hit:
    at: float
    host: str
    target: str
    headers: dict[str, str]


@dataclass
class EvilServer:
    host: str = "127.0.0.1"
    port: int = 0
    canary_file: Path | None = None
    hits: Counter = field(default_factory=Counter)
    log: list[Hit] = field(default_factory=list)
    bytes_sent: Counter = field(default_factory=Counter)
    robots: dict[str, str] = field(default_factory=dict)
    flaky: Counter = field(default_factory=Counter)
    # (host, path) → the URLs a /xml/ document lists: a test decides what a sitemap names.
    listed: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    arrivals: Counter = field(default_factory=Counter)
    in_flight: Counter = field(default_factory=Counter)
    peak: Counter = field(default_factory=Counter)
    alias: str | None = None
    # host → seconds before every other answer: the slow answers show overlapping
    # requests, the quick ones how far apart the crawler starts them (A13)
    slow: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.bombs = {kind: _compress_zeros(kind) for kind in ("gzip", "br", "zstd")}
        self._huge_sitemaps: dict[str, bytes] = {}
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="evil-server", daemon=True)

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> EvilServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, self.host, self.port, reuse_address=True))
        self.port = self._server.sockets[0].getsockname()[1]
        self._servers = [self._server]
        try:
            self._servers.append(self._loop.run_until_complete(
                asyncio.start_server(self._handle, ALIAS_HOST, self.port, reuse_address=True)))
            self.alias = ALIAS_HOST
        except OSError:   # no second loopback address here: the A12 test skips
            pass
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        async def _close() -> None:
            for server in self._servers:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()
        asyncio.run_coroutine_threadsafe(_close(), self._loop)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- counters -------------------------------------------------------------------

    def count(self, host: str, path_prefix: str = "") -> int:
        with self._lock:
            return sum(n for (h, p), n in self.hits.items() if h == host and p.startswith(path_prefix))

    def times(self, host: str, path_prefix: str = "") -> list[float]:
        with self._lock:
            return [h.at for h in self.log if h.host == host and urlsplit(h.target).path.startswith(path_prefix)]

    def paths(self, host: str) -> list[str]:
        with self._lock:
            return [h.target for h in self.log if h.host == host]

    # --- HTTP ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", "", ""])[:3]
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        host = headers.get("host", "").rsplit(":", 1)[0] if not headers.get("host", "").startswith("[") \
            else headers["host"]
        path = urlsplit(target).path
        with self._lock:
            self.hits[(host, path)] += 1
            self.log.append(Hit(time.monotonic(), host, target, headers))
            self.in_flight[host] += 1
            self.peak[host] = max(self.peak[host], self.in_flight[host])
            self.arrivals[host] += 1
            wait = self.slow.get(host, 0) if self.arrivals[host] % 2 else 0
        try:
            await asyncio.sleep(wait)
            await self._route(host, target, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with self._lock:
                self.in_flight[host] -= 1
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    async def _send(self, writer: asyncio.StreamWriter, host: str, status: int, body: bytes = b"",
                    ctype: str = "text/html; charset=utf-8", extra: dict[str, str] | None = None,
                    length: int | None = None) -> None:
        hdrs = {"Content-Type": ctype, "Content-Length": str(len(body) if length is None else length),
                "Connection": "close", **(extra or {})}
        if ctype is None:
            del hdrs["Content-Type"]
        head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
        await self._write(writer, host, head.encode("latin-1") + body)

    async def _write(self, writer: asyncio.StreamWriter, host: str, data: bytes, path: str = "") -> None:
        writer.write(data)
        await writer.drain()
        with self._lock:
            self.bytes_sent[host] += len(data)
            self.bytes_sent[(host, path)] += len(data)

    async def _route(self, host: str, target: str, w: asyncio.StreamWriter) -> None:  # noqa: C901
        parts = urlsplit(target)
        path, q = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        send = self._send

        if path == "/robots.txt":
            await self._robots(host, w)
        elif path == "/stall":
            await asyncio.sleep(3600)
        elif path == "/hang-after-headers":
            await self._write(w, host, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n")
            await asyncio.sleep(3600)
        elif path == "/drip":
            delay = 1 / float(q.get("bps", "1"))
            await self._write(w, host, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            while True:
                await asyncio.sleep(delay)
                await self._write(w, host, b"<", path)
        elif path == "/lie-length":
            await send(w, host, 200, article_html("Bài cắt cụt").encode()[:100], length=100000)
        elif path == "/broken-chunked":
            body = article_html("Bài đứt đoạn").encode()
            await self._write(w, host, b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n"
                                       + f"{len(body):x}\r\n".encode() + body + b"\r\n")
            # ...and the connection closes without the terminating 0-size chunk.
        elif path == "/rst":   # ?at=head: before any byte of the answer
            if q.get("at") != "head":
                await send(w, host, 200, article_html("Bài bị ngắt").encode()[:2000], length=100000)
                await asyncio.sleep(0.2)   # let the client read the head and part of the body
            w.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            w.transport.abort()    # linger 0: the close sends RST, not FIN
        elif path in ("/huge", "/huge-cl"):
            total = int(float(q.get("mb", "50")) * 1024 * 1024)
            chunk = b"a" * 65536
            if path == "/huge":
                await self._write(w, host, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                           b"Transfer-Encoding: chunked\r\n\r\n")
                for _ in range(total // len(chunk)):
                    await self._write(w, host, b"10000\r\n" + chunk + b"\r\n")
                await self._write(w, host, b"0\r\n\r\n")
            else:
                await self._write(w, host, f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                           f"Content-Length: {total}\r\n\r\n".encode())
                for _ in range(total // len(chunk)):
                    await self._write(w, host, chunk)
        elif path in ("/bomb.gz", "/bomb.br", "/bomb.zst"):
            kind = {"gz": "gzip", "br": "br", "zst": "zstd"}[path.rsplit(".", 1)[1]]
            body = self.bombs[kind]
            if body is None:
                await send(w, host, 404, b"codec not installed")
            else:
                await send(w, host, 200, body, extra={"Content-Encoding": kind})
        elif path == "/raw-gzip-html":
            await send(w, host, 200, gzip.compress(article_html("Bài nén").encode()))
        elif path.startswith("/flaky/"):
            key = (host, path)
            with self._lock:
                self.flaky[key] += 1
                n = self.flaky[key]
            if n <= int(q.get("fail", "2")):
                extra = {"Retry-After": q["retry_after"]} if "retry_after" in q else {}
                await send(w, host, int(q.get("code", "503")), b"busy", extra=extra)
            else:
                await send(w, host, 200, article_html(f"Bài chập chờn {path.rsplit('/', 1)[1]}").encode())
        elif path == "/to":
            await send(w, host, 302, b"", extra={"Location": q.get("loc", "/")})
        elif path.startswith("/loop/"):
            other = "/loop/b" if path == "/loop/a" else "/loop/a"
            await send(w, host, 302, b"", extra={"Location": other})
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            if n > 0:
                await send(w, host, 302, b"", extra={"Location": f"/chain/{n - 1}"})
            else:
                await send(w, host, 200, article_html("Cuối chuỗi chuyển hướng").encode())
        elif path == "/canary-hit":
            await send(w, host, 200, CANARY.encode(), ctype="text/plain")
        elif path.startswith("/feed/"):
            await send(w, host, 200, self._feed(host, path), ctype="application/rss+xml")
        elif path == "/sitemap/huge.xml":
            body = self._huge_sitemap_gz(host)
            await send(w, host, 200, body, ctype="application/xml", extra={"Content-Encoding": "gzip"})
        elif path == "/sitemap/huge-raw.xml":
            body = _huge_sitemap(host)
            await send(w, host, 200, body, ctype="application/xml")
        elif path.startswith("/cal/"):
            y, m = (int(x) for x in path.split("/")[2:4])
            prev_y, prev_m = (y, m - 1) if m > 1 else (y - 1, 12)
            links = (f'<a href="/art/cal-{y}-{m:02d}.html">Bài tháng {m}/{y}</a>'
                     f'<a href="/cal/{prev_y}/{prev_m:02d}">Trang sau</a>')
            await send(w, host, 200, f"<html><body>{links}</body></html>".encode())
        elif path.startswith("/a/"):
            depth = path.count("/a")
            links = f'<a href="/art/a-{depth}.html">Bài {depth}</a><a href="a/">Trang sau</a>'
            await send(w, host, 200, f"<html><body>{links}</body></html>".encode())
        elif path == "/list":
            page = min(int(q.get("page", "1")), 3)   # 3 real pages; beyond: the last again
            links = "".join(f'<a href="/art/list-{page}-{i}.html">Bài {page}.{i}</a>' for i in range(3))
            nxt = f'<a href="/list?page={int(q.get("page", "1")) + 1}">Trang sau</a>'
            await send(w, host, 200, f"<html><body>{links}{nxt}</body></html>".encode())
        elif path == "/" or path.startswith(CONTENT_PREFIXES):
            await self._content(host, path, w)
        elif path.startswith("/art/"):
            slug = path.rsplit("/", 1)[1]
            await send(w, host, 200, article_html(f"Bài viết {slug}").encode())
        elif path.startswith("/bin/"):
            ctype, body = NOT_HTML[path.split("/")[2]]
            await send(w, host, 200, body, ctype=ctype)
        elif path.startswith("/empty/"):
            await send(w, host, 200, b"")
        elif path.startswith("/tiny/"):
            await send(w, host, 200, b"<html><body>OK</body></html>")
        elif path.startswith("/soft404/"):
            body = ('<html lang="vi"><head><meta charset="utf-8"><title>Báo Thử</title></head><body>'
                    '<nav><a href="/">Trang chủ</a> <a href="/tin">Tin tức</a></nav>'
                    '<h1>Bài viết không tồn tại</h1><p>Bài viết không tồn tại hoặc đã bị xoá.</p>'
                    '<footer>Báo Thử © 2025</footer></body></html>')
            await send(w, host, 200, body.encode())
        elif path.startswith("/challenge/"):
            body = ('<html><head><title>Just a moment...</title></head><body><h1>Checking your browser '
                    'before accessing the site.</h1><p>Please enable JavaScript and cookies.</p>'
                    '<script>setTimeout(function(){location.reload()},5000)</script></body></html>')
            await send(w, host, 200, body.encode())
        elif path == "/enc/cp1258-undeclared":
            await send(w, host, 200, cp1258_bytes(article_html(VI_TITLE, charset=None)), ctype="text/html")
        elif path == "/enc/utf8-declared-latin1":
            await send(w, host, 200, article_html(VI_TITLE, charset=None).encode(),
                       ctype="text/html; charset=ISO-8859-1")
        elif path == "/enc/meta-vs-header":
            await send(w, host, 200, article_html(VI_TITLE, charset="windows-1258").encode(),
                       ctype="text/html; charset=utf-8")
        else:
            await send(w, host, 404, b"<h1>404</h1>")

    async def _robots(self, host: str, w: asyncio.StreamWriter) -> None:
        mode = self.robots.get(host, "allow")
        if mode == "allow":
            await self._send(w, host, 200, b"User-agent: *\nAllow: /\n", ctype="text/plain")
        elif mode == "disallow-private":
            await self._send(w, host, 200, b"User-agent: *\nDisallow: /private/\n", ctype="text/plain")
        elif mode == "stall":
            await asyncio.sleep(3600)
        elif mode == "huge":
            await self._send(w, host, 200, b"User-agent: *\nAllow: /\n" + b"#" * (6 * 1024 * 1024),
                             ctype="text/plain")
        elif mode.startswith("crawl-delay="):
            rules = f"User-agent: *\nCrawl-delay: {mode.split('=', 1)[1]}\nAllow: /\n"
            await self._send(w, host, 200, rules.encode(), ctype="text/plain")
        elif mode == "garbage":
            await self._send(w, host, 200, bytes(range(256)) * 64, ctype="text/plain")
        else:
            await self._send(w, host, int(mode), b"error", ctype="text/plain",
                             extra={"Retry-After": "1"} if mode in ("429", "503") else None)

    def _feed(self, host: str, path: str) -> bytes:
        many = re.fullmatch(r"/feed/many-(\d+)\.xml", path)
        items = "".join(f"<item><title>Tin {i}</title><link>https://{host}/art/feed-{i}.html</link></item>"
                        for i in range(int(many[1]) if many else 3))
        if path == "/feed/xxe-file.xml":
            dtd = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{self.canary_file}">]>'
            extra = "<item><title>&xxe;</title><link>https://{}/art/feed-x.html</link></item>".format(host)
        elif path == "/feed/xxe-http.xml":
            dtd = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "http://{self.host}:{self.port}/canary-hit">]>'
            extra = "<item><title>&xxe;</title><link>https://{}/art/feed-x.html</link></item>".format(host)
        elif path == "/feed/lol.xml":
            ents = ['<!ENTITY lol0 "lol">'] + [
                f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
            dtd = f"<!DOCTYPE rss [{''.join(ents)}]>"
            extra = "<item><title>&lol9;</title><link>https://{}/art/feed-x.html</link></item>".format(host)
        else:
            dtd, extra = "", ""
        return (f'<?xml version="1.0" encoding="utf-8"?>{dtd}<rss version="2.0"><channel>'
                f"<title>Báo Thử</title>{items}{extra}</channel></rss>").encode()

    async def _content(self, host: str, path: str, w: asyncio.StreamWriter) -> None:
        """The routes of the content rows (C5-C7, D, E4-E6)."""
        if path == "/":
            links = "".join(f'<li><a href="/art/home-{i}.html">Tin nổi bật {i}</a></li>' for i in range(3))
            await self._send(w, host, 200, article_html("Trang chủ Báo Thử").replace(
                "</article>", f"</article><ul>{links}</ul>").encode())
        elif path.startswith("/sitemap/nest/"):   # an index naming the next level, forever
            depth = int(path.rsplit("/", 1)[1])
            body = _sitemap_xml("sitemapindex", [f"https://{host}/sitemap/nest/{depth + 1}"])
            await self._send(w, host, 200, body, ctype="application/xml")
        elif path.startswith("/xml/"):
            body, ctype = self._xml(host, path)
            await self._send(w, host, 200 if body else 404, body, ctype=ctype)
        elif path.startswith("/enc/"):
            await self._send(w, host, 200, *_encoded_page(path))
        elif path.startswith("/hollow/"):    # an article page whose body container is empty
            page = article_html("Bài chỉ có khung").split("<article>")[0] + '<article class="content-detail"></article>'
            await self._send(w, host, 200, (page + "</body></html>").encode())
        elif path.startswith("/track/"):     # every article linked under four tracking variants
            variants = ("?utm_source=zalo&utm_medium=social", "?sid=8f3a2c", "#binh-luan", ";jsessionid=A1B2?utm_campaign=x")
            links = "".join(f'<a href="/art/track-{i}.html{v}">Bài {i}</a>' for i in range(3) for v in variants)
            await self._send(w, host, 200, f"<html><body>{links}</body></html>".encode())
        else:                                # /vanish/<home|404|410>/<slug>: an article, then not
            mode = path.split("/")[2]
            with self._lock:
                first = self.hits[(host, path)] == 1
            if first:
                await self._send(w, host, 200, article_html(f"Bài sẽ bị gỡ {path}").encode())
            elif mode == "home":
                await self._send(w, host, 302, b"", extra={"Location": "/"})
            else:
                await self._send(w, host, int(mode), b"<h1>Gone</h1>")

    def _xml(self, host: str, path: str) -> tuple[bytes, str]:
        """``/xml/index-*``, ``/xml/urlset-*``, ``/xml/feed-*``: list ``listed[(host, path)]``;
        ``/xml/bad-<kind>.xml``: malformed documents (C7, see MALFORMED)."""
        name = path.removeprefix("/xml/").removesuffix(".xml")
        if name.startswith("bad-"):
            body = MALFORMED.get(name.removeprefix("bad-"), "").replace("HOST", host)
            return body.encode("utf-8"), "application/xml"
        urls = self.listed.get((host, path), [])
        if name.startswith("feed-"):
            items = "".join(f"<item><title>Tin</title><link>{u}</link></item>" for u in urls)
            return f'<rss version="2.0"><channel><title>Báo Thử</title>{items}</channel></rss>'.encode(), \
                "application/rss+xml"
        return _sitemap_xml("sitemapindex" if name.startswith("index-") else "urlset", urls), "application/xml"

    def _huge_sitemap_gz(self, host: str) -> bytes:
        if host not in self._huge_sitemaps:
            self._huge_sitemaps[host] = gzip.compress(_huge_sitemap(host), compresslevel=6)
        return self._huge_sitemaps[host]


def _sitemap_xml(kind: str, urls: list[str]) -> bytes:
    entry = "sitemap" if kind == "sitemapindex" else "url"
    locs = "".join(f"<{entry}><loc>{u}</loc></{entry}>" for u in urls)
    return f'<{kind} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</{kind}>'.encode()


def _encoded_page(path: str) -> tuple[bytes, str]:
    """``/enc/nfd/<slug>`` (decomposed diacritics), ``/enc/nfc/<slug>`` (its composed
    twin), ``/enc/tcvn3/<slug>`` (typed in a legacy font): body and Content-Type."""
    kind = path.split("/")[2]
    if kind == "tcvn3":
        page = article_html("Tin tỉnh", n=0).replace("</article>", f"<p>{TCVN3_TEXT}</p>" * 4 + "</article>")
        return page.encode(), "text/html; charset=utf-8"
    page = article_html(VI_TITLE)
    return unicodedata.normalize(kind.upper(), page).encode(), "text/html; charset=utf-8"


# Malformed feeds and sitemaps (C7) and the article slugs each still yields once recovered.
MALFORMED = {
    # an unclosed <b> swallows its item's link; the truncated end loses nothing
    "feed-unclosed": ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Báo Thử</title>'
                      '<item><title>A</title><link>https://HOST/art/bad-1.html</link></item>'
                      '<item><title>B <b>đậm</title><link>https://HOST/art/bad-lost.html</link></item>'
                      '<item><title>C</title><link>https://HOST/art/bad-2.html</link></item>'
                      '<item><title>D</title><link>https://HOST/art/bad-3.html</link>'),
    # control characters, an undeclared entity and a stray "&"
    "feed-badchars": ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                      '<item><title>A </title><link>https://HOST/art/bad-1.html</link></item>'
                      '<item><title>B &nbsp; & C</title><link>https://HOST/art/bad-2.html</link></item>'
                      '</channel></rss>'),
    # the 0.84 namespace of old Google sitemaps
    "sitemap-wrongns": ('<?xml version="1.0"?><urlset xmlns="http://www.google.com/schemas/sitemap/0.84">'
                        '<url><loc>https://HOST/art/bad-1.html</loc></url>'
                        '<url><loc>https://HOST/art/bad-2.html</loc></url></urlset>'),
    # an unclosed <url> (recovery nests the next one inside it) and no closing </urlset>
    "sitemap-unclosed": ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         '<url><loc>https://HOST/art/bad-1.html</loc>'
                         '<url><loc>https://HOST/art/bad-2.html</loc></url>'),
}
MALFORMED_YIELDS = {"feed-unclosed": 3, "feed-badchars": 2, "sitemap-wrongns": 2, "sitemap-unclosed": 2}


class InternalServer:
    """F-INTERNAL: a plain server standing in for an internal service. Any hit fails a test."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        import http.server

        hits = self.hits = Counter()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits[self.path] += 1
                body = b"internal secret"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.host, self.port = self.httpd.server_address[:2]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def total(self) -> int:
        return sum(self.hits.values())

    def start(self) -> InternalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

