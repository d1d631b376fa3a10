"""Crawls killed with SIGKILL at random
moments lose nothing, store nothing twice and download little more than once.

1. A deterministic synthetic site (``build_site``): N articles spread round-robin
   over 4 hosts ``baothu1.example`` … ``baothu4.example``. Each host has a
   robots.txt, an RSS feed of its latest 50 articles and a listing ``/tin-moi``
   paginated 20 per page (``?page=N`` via ``routes.tsv``, rel=next links). Article
   pages are Vietnamese UTF-8 with a title, a ``HH:MM | DD/MM/YYYY`` date and a
   text made of sentences taken from the bundled Báo Lạng Sơn mirror pages plus a
   sentence naming the article number: every text is unique (no exact-content
   dedup can merge two) and ≥ 40 words. A ``--sources`` YAML declares the 4 outlets.
2. The harness (``run``): the site is served in-process by ``MirrorServer``; a full
   crawl is timed first on a scratch database (unless ``window`` is given); then
   ``python -m crawler crawl baothu1 … baothu4`` is started in its own session and
   its process group SIGKILLed at a random moment (seeded RNG, uniform in
   [0.5 s, window]) until ``kills`` runs have been killed; then runs go on unkilled
   until one exits 0 with nothing due in the frontier.
3. The figures (``Figures``): stored rows, duplicate url_keys, ``PRAGMA
   integrity_check``, leased frontier rows, article downloads (mirror hits on
   article paths, from the killed runs and the final ones; the timing run is not
   counted) and wall time. ``Figures.problems()`` lists the invariants broken.

Run: ``python -m bench.killload --articles 2000 --kills 20 --seed 1``
(exit status 1 when an invariant fails).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

from lxml import html as lxml_html

from crawler.mirror.server import SITES_DIR, MirrorServer

HOSTS = 4
PER_PAGE = 20
FEED_SIZE = 50
MIN_WORDS = 40
LISTING = "/tin-moi"
FIRST_ID = 7_000_000
DOWNLOAD_FACTOR = 1.15
KILL_SPREAD = 2.5   # see run(): how much of a crawl the kills interrupt, roughly
SOURCE_PAGES = SITES_DIR / "baolangson.vn"
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“A-ZÀ-Ỹ0-9])")
_DATELINE = re.compile(r"^\s*(?:\(?LSO\)?\s*[-–:]\s*|[-–]\s+)")


def outlet_key(h: int) -> str:
    return f"baothu{h}"


def outlet_host(h: int) -> str:
    return f"baothu{h}.example"


# --- the synthetic site ----------------------------------------------------------


def sentence_pool(pages: Path = SOURCE_PAGES) -> list[str]:
    """Distinct sentences (≥ 6 words) of the real article texts of the bundled mirror,
    in a stable order."""
    seen: dict[str, None] = {}
    for page in sorted(pages.glob("*.html")):
        doc = lxml_html.fromstring(page.read_bytes())
        for node in doc.xpath("//div[@id='content-detail']/h2 | //div[@id='content-detail']//p"):
            paragraph = _DATELINE.sub("", " ".join(node.text_content().split()))
            for sentence in _SENTENCE_END.split(paragraph):
                sentence = unicodedata.normalize("NFC", sentence.strip())
                if len(sentence.split()) >= 6 and sentence[-1] in ".!?…":
                    seen.setdefault(sentence, None)
    pool = list(seen)
    if len(pool) < 50:
        raise RuntimeError(f"only {len(pool)} sentences found under {pages}")
    return pool


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text)[:8]) or "bai-viet"


@dataclass(frozen=True)
class SyntheticArticle:
    number: int            # 0 … N-1; higher is newer
    host: int              # 1 … HOSTS
    title: str
    lead: str
    paragraphs: tuple[str, ...]
    published: datetime    # local wall time (Asia/Ho_Chi_Minh)

    @property
    def id(self) -> int:
        return FIRST_ID + self.number

    @property
    def path(self) -> str:
        return f"/{_slug(self.title)}-{self.id}.html"

    @property
    def url(self) -> str:
        return f"https://{outlet_host(self.host)}{self.path}"

    @property
    def stamp(self) -> str:
        return self.published.strftime("%H:%M | %d/%m/%Y")

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in (self.lead, *self.paragraphs))


def articles(n: int, pool: list[str] | None = None) -> list[SyntheticArticle]:
    """The N articles, deterministic in N alone."""
    pool = pool or sentence_pool()
    start = datetime(2023, 1, 2, 6, 0)
    out = []
    for number in range(n):
        rng = random.Random(f"killload-article-{number}")
        host = number % HOSTS + 1
        picked = rng.sample(pool, 6)
        marker = (f"Đây là bài viết số {number + 1} trên tổng số {n} bài của Báo Thử {host}, "
                  f"mã tin {FIRST_ID + number}.")
        sentences = [*picked[1:], marker]
        extra = iter(rng.sample(pool, 20))
        while sum(len(s.split()) for s in sentences) + len(picked[0].split()) < MIN_WORDS + 10:
            sentences.insert(-1, next(extra))
        head = " ".join(picked[0].rstrip(".!?…").split()[:9])
        title = f"{head} (tin số {number + 1})"
        paragraphs = tuple(" ".join(sentences[i:i + 2]) for i in range(0, len(sentences), 2))
        published = start + timedelta(minutes=37 * number)
        out.append(SyntheticArticle(number, host, title, picked[0], paragraphs, published))
    return out


def _page(title: str, head: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n{head}</head>\n<body>\n{body}\n</body></html>\n")


def _article_html(a: SyntheticArticle) -> str:
    name = f"Báo Thử {a.host}"
    head = (f"<meta property=\"og:title\" content=\"{escape(a.title)}\">\n"
            f"<meta property=\"og:url\" content=\"{a.url}\">\n"
            "<meta property=\"og:type\" content=\"article\">\n"
            f"<link rel=\"canonical\" href=\"{a.url}\">\n")
    paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in a.paragraphs)
    body = (f"<div class=\"header\"><a href=\"https://{outlet_host(a.host)}/\">{name}</a></div>\n"
            f"<div class=\"main\"><div class=\"detail\">\n<h1 class=\"title-detail\">{escape(a.title)}</h1>\n"
            f"<div class=\"date-detail\">{a.stamp}</div>\n<div id=\"content-detail\">\n"
            f"<h2>{escape(a.lead)}</h2>\n{paragraphs}\n</div>\n</div></div>\n"
            f"<div class=\"footer\">© {name}. Trang thử nghiệm tải.</div>")
    return _page(f"{a.title} - {name}", head, body)


def _listing_html(h: int, page: int, items: list[SyntheticArticle], last: bool) -> str:
    base = f"https://{outlet_host(h)}"
    self_url = base + LISTING + (f"?page={page}" if page > 1 else "")
    head = f"<link rel=\"canonical\" href=\"{self_url}\">\n"
    head += f"<link rel=\"alternate\" type=\"application/rss+xml\" href=\"{base}/rss/home.rss\">\n"
    nav = ""
    if not last:
        nxt = f"{base}{LISTING}?page={page + 1}"
        head += f"<link rel=\"next\" href=\"{nxt}\">\n"
        nav = f"<div class=\"pager\"><a rel=\"next\" href=\"{nxt}\">Trang sau</a></div>"
    rows = "\n".join(
        f"<div class=\"item\"><a class=\"title\" href=\"{a.url}\">{escape(a.title)}</a>"
        f"<div class=\"time\">{a.stamp}</div><div class=\"sapo\">{escape(a.lead)}</div></div>" for a in items)
    body = (f"<div class=\"main\"><div class=\"list\"><h1 class=\"cat-title\">Tin mới</h1>\n{rows}\n"
            f"{nav}</div></div>")
    return _page(f"Tin mới - trang {page} - Báo Thử {h}", head, body)


def _rss(h: int, items: list[SyntheticArticle]) -> str:
    def rfc822(d: datetime) -> str:
        return d.strftime("%a, %d %b %Y %H:%M:00 +0700")

    entries = "\n".join(
        f"<item><title>{escape(a.title)}</title><link>{a.url}</link><guid>{a.url}</guid>"
        f"<description>{escape(a.lead)}</description><pubDate>{rfc822(a.published)}</pubDate></item>"
        for a in items)
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>\n"
            f"<title>Báo Thử {h}</title><link>https://{outlet_host(h)}/</link>"
            f"<description>Tin mới nhất</description><language>vi</language>\n{entries}\n</channel></rss>\n")


def _sitemap(items: list[SyntheticArticle]) -> str:
    urls = "\n".join(f"<url><loc>{a.url}</loc><lastmod>{a.published:%Y-%m-%d}</lastmod></url>" for a in items)
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
            f"<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{urls}\n</urlset>\n")


def sources_yaml(hosts: int = HOSTS, sitemap: bool = False) -> str:
    lines = ["outlets:"]
    for h in range(1, hosts + 1):
        host = outlet_host(h)
        lines += [
            f"  - key: {outlet_key(h)}",
            f"    name: \"Báo Thử {h}\"",
            "    province: \"Lạng Sơn\"",
            f"    base_url: \"https://{host}\"",
            f"    feeds: [\"https://{host}/rss/home.rss\"]",
            f"    sitemaps: [\"https://{host}/sitemap.xml\"]" if sitemap else "    sitemaps: []",
            "    listings:",
            f"      - url: \"https://{host}{LISTING}\"",
            f"    article_url_pattern: '^https://{re.escape(host)}/[a-z0-9-]+-\\d{{7}}\\.html$'",
            "    selectors:",
            "      body: \"div#content-detail\"",
            "      summary: \"div#content-detail > h2\"",
            "    verified: true",
            "    sources_note: \"synthetic load-test outlet (bench/killload.py)\"",
        ]
    return "\n".join(lines) + "\n"


def build_site(root: Path, n: int, sitemap: bool = False) -> list[SyntheticArticle]:
    """Write the 4 host folders under ``root`` (a MirrorServer sites dir) and
    ``root.parent / 'killload-sources.yaml'``; return the articles.

    ``sitemap``: also a ``/sitemap.xml`` of every article, declared in the sources
    (a diagnostic variant: discovery then takes one response per host, so the
    download figure can be measured apart from the listing walk)."""
    arts = articles(n)
    root.mkdir(parents=True, exist_ok=True)
    for h in range(1, HOSTS + 1):
        site = root / outlet_host(h)
        (site / "rss").mkdir(parents=True, exist_ok=True)
        (site / LISTING.strip("/")).mkdir(parents=True, exist_ok=True)
        (site / "robots.txt").write_text("User-agent: *\nDisallow: /tim-kiem\nDisallow: /admin/\n",
                                         encoding="utf-8")
        own = sorted((a for a in arts if a.host == h), key=lambda a: a.number, reverse=True)
        for a in own:
            (site / a.path.lstrip("/")).write_text(_article_html(a), encoding="utf-8")
        (site / "rss" / "home.rss").write_text(_rss(h, own[:FEED_SIZE]), encoding="utf-8")
        if sitemap:
            (site / "sitemap.xml").write_text(_sitemap(own), encoding="utf-8")
        pages = [own[i:i + PER_PAGE] for i in range(0, len(own), PER_PAGE)] or [[]]
        routes = ["# path_and_query\tfile\tstatus\tcontent_type"]
        for index, items in enumerate(pages, start=1):
            name = "index.html" if index == 1 else f"page-{index}.html"
            (site / LISTING.strip("/") / name).write_text(
                _listing_html(h, index, items, last=index == len(pages)), encoding="utf-8")
            if index > 1:
                routes.append(f"{LISTING}?page={index}\t{LISTING.strip('/')}/{name}\t200\ttext/html; charset=utf-8")
        (site / "index.html").write_text(
            _page(f"Báo Thử {h}", "", f"<a href=\"https://{outlet_host(h)}{LISTING}\">Tin mới</a>"),
            encoding="utf-8")
        (site / "routes.tsv").write_text("\n".join(routes) + "\n", encoding="utf-8")
    (root.parent / "killload-sources.yaml").write_text(sources_yaml(sitemap=sitemap), encoding="utf-8")
    return arts


# --- the harness -----------------------------------------------------------------


class QuietMirrorServer(MirrorServer):
    """The mirror, minus the traceback socketserver prints when a killed crawler
    drops its connections mid-response."""

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


@dataclass
class Figures:
    articles: int
    kills: int
    seed: int
    window: float = 0.0
    calibration_seconds: float | None = None
    startup_seconds: float | None = None
    rows: int = 0
    missing: int = 0
    unexpected: int = 0
    duplicate_keys: int = 0
    integrity: str = ""
    leased: int = 0
    frontier_states: dict[str, int] = field(default_factory=dict)
    article_downloads: int = 0
    other_requests: int = 0
    killed_runs: int = 0
    runs_ended_before_kill: int = 0
    final_runs: list[int] = field(default_factory=list)   # exit codes of the unkilled runs
    run_statuses: dict[str, int] = field(default_factory=dict)
    # Per kill: seconds after start, rows stored, article downloads so far.
    kill_log: list[tuple[float, int, int]] = field(default_factory=list)
    wall_seconds: float = 0.0
    killed_phase_seconds: float = 0.0
    final_stderr: str = ""

    def waste_per_kill(self) -> list[int]:
        wasted, before = [], 0
        for _, rows, downloads in self.kill_log:
            wasted.append(downloads - rows - before)
            before = downloads - rows
        return wasted

    @property
    def download_limit(self) -> float:
        return DOWNLOAD_FACTOR * self.articles

    def problems(self) -> list[str]:
        out = []
        if self.rows != self.articles or self.missing or self.unexpected:
            out.append(f"rows {self.rows} != {self.articles} (missing {self.missing}, unexpected {self.unexpected})")
        if self.duplicate_keys:
            out.append(f"{self.duplicate_keys} duplicate url_key(s)")
        if self.integrity != "ok":
            out.append(f"integrity_check: {self.integrity}")
        if self.leased:
            out.append(f"{self.leased} leased frontier row(s) left")
        if self.article_downloads > self.download_limit:
            out.append(f"article downloads {self.article_downloads} > {DOWNLOAD_FACTOR} × {self.articles}")
        if not self.final_runs or self.final_runs[-1] != 0:
            out.append(f"final runs exited {self.final_runs}")
        if self.killed_runs < self.kills:
            out.append(f"only {self.killed_runs} of {self.kills} kills landed on a running crawl")
        return out

    def report(self) -> str:
        lines = [
            f"articles {self.articles} over {HOSTS} hosts; kills {self.killed_runs}/{self.kills} "
            f"(seed {self.seed}, kill moment U(0.5 s, {self.window:.1f} s)"
            + (f"; unkilled full crawl {self.calibration_seconds:.1f} s, first request at "
               f"{self.startup_seconds:.1f} s" if self.calibration_seconds else "") + ")",
            f"runs ended on their own before their kill moment: {self.runs_ended_before_kill}",
            "kills (s after start: rows stored / article downloads so far): "
            + ", ".join(f"{t:.1f}s:{r}/{d}" for t, r, d in self.kill_log),
            "downloads wasted per kill (downloaded, not stored by the killed run): "
            + ", ".join(str(w) for w in self.waste_per_kill()),
            f"final unkilled runs: {len(self.final_runs)} (exit codes {self.final_runs})",
            f"stored rows: {self.rows} (expected {self.articles}; missing {self.missing}, unexpected {self.unexpected})",
            f"duplicate url_key: {self.duplicate_keys}",
            f"PRAGMA integrity_check: {self.integrity}",
            f"leased frontier rows: {self.leased}; frontier states {self.frontier_states}",
            f"crawl_runs statuses: {self.run_statuses}",
            f"article downloads: {self.article_downloads} = {self.article_downloads / self.articles:.3f} × N "
            f"(limit {DOWNLOAD_FACTOR} × N = {self.download_limit:.0f}); other requests {self.other_requests}",
            f"wall time: {self.wall_seconds:.1f} s (killed phase {self.killed_phase_seconds:.1f} s)",
        ]
        problems = self.problems()
        lines.append("RESULT: " + ("ok" if not problems else "FAILED: " + "; ".join(problems)))
        return "\n".join(lines)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVNEWS_")}
    env["COLUMNS"] = "200"
    return env


def _crawl_args(server: MirrorServer, sources: Path, db_path: Path) -> list[str]:
    return [sys.executable, "-m", "crawler", "crawl", *(outlet_key(h) for h in range(1, HOSTS + 1)),
            "--mirror", server.url, "--sources", str(sources), "--db", f"sqlite:///{db_path}"]


def query_db(db_path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_path, timeout=60) as conn:
        return conn.execute(sql).fetchall()


def count_db(db_path: Path, sql: str) -> int:
    """The first column of the first row; 0 before the schema exists."""
    try:
        return query_db(db_path, sql)[0][0]
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def _nothing_due(db_path: Path) -> bool:
    due = count_db(db_path, "SELECT COUNT(*) FROM frontier WHERE state IN ('pending', 'leased') "
                          "OR (state = 'failed' AND next_fetch_at <= datetime('now'))")
    return due == 0


def _run(args: list[str], timeout: float) -> tuple[int, str]:
    """Run a crawl to its end (SIGKILLed past ``timeout``): exit code and stderr."""
    proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        return -9, "timeout\n" + err.decode("utf-8", "replace")
    return proc.returncode, err.decode("utf-8", "replace")


def calibrate(server: MirrorServer, sources: Path, workdir: Path, timeout: float = 1800) -> tuple[float, float]:
    """(seconds to the first request, seconds to the end) of a full, unkilled crawl on
    a scratch database."""
    scratch = workdir / "calibration.sqlite"
    server.hits.clear()
    started = time.monotonic()
    first = None
    proc = subprocess.Popen(_crawl_args(server, sources, scratch), env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    while proc.poll() is None:
        if first is None and server.hits:
            first = time.monotonic() - started
        if time.monotonic() - started > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"calibration crawl exited {proc.returncode}: {err[-2000:]}")
    return (first if first is not None else elapsed), elapsed


def run(n: int, kills: int, seed: int, workdir: Path, window: float | None = None,
        max_final_runs: int = 5, run_timeout: float = 1800, verbose: bool = False,
        sitemap: bool = False) -> Figures:
    """Build the site, crawl it with ``kills`` SIGKILLs, then to completion; measure."""
    wall_start = time.monotonic()
    sites = workdir / "sites"
    arts = build_site(sites, n, sitemap=sitemap)
    sources = sites.parent / "killload-sources.yaml"
    db_path = workdir / "killload.sqlite"
    figures = Figures(articles=n, kills=kills, seed=seed)
    server = QuietMirrorServer(sites)
    server.start_background()
    say = print if verbose else (lambda *a, **k: None)
    try:
        if window is None:
            startup, total = calibrate(server, sources, workdir, run_timeout)
            figures.startup_seconds, figures.calibration_seconds = startup, total
            # A run spends ``startup`` seconds before its first request; past that, the
            # window spreads the kills over the crawl: the kills together interrupt
            # about one full crawl's worth of fetching and storing.
            window = startup + max(1.0, KILL_SPREAD * (total - startup) / max(kills, 1))
            say(f"full crawl: {total:.1f} s (first request at {startup:.1f} s); "
                f"kill window U(0.5, {window:.1f}) s")
        figures.window = window
        server.hits.clear()
        rng = random.Random(seed)
        args = _crawl_args(server, sources, db_path)
        phase_start = time.monotonic()
        attempts = 0
        while figures.killed_runs < kills and attempts < kills * 5:
            attempts += 1
            delay = rng.uniform(0.5, window)
            proc = subprocess.Popen(args, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            started = time.monotonic()
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                figures.killed_runs += 1
                rows = count_db(db_path, "SELECT COUNT(*) FROM articles")
                downloads = _article_downloads(server, arts)
                figures.kill_log.append((time.monotonic() - started, rows, downloads))
                say(f"kill {figures.killed_runs}: at {delay:.2f} s, rows {rows}, article downloads {downloads}")
            else:
                figures.runs_ended_before_kill += 1
                say(f"run ended (exit {proc.returncode}) before its kill at {delay:.2f} s")
        figures.killed_phase_seconds = time.monotonic() - phase_start
        for _ in range(max_final_runs):
            code, err = _run(args, run_timeout)
            figures.final_runs.append(code)
            figures.final_stderr = err[-4000:]
            say(f"final run: exit {code}")
            if code == 0 and _nothing_due(db_path):
                break
        _measure(figures, db_path, arts, server)
    finally:
        server.shutdown()
        server.server_close()
    figures.wall_seconds = time.monotonic() - wall_start
    return figures


def _measure(figures: Figures, db_path: Path, arts: list[SyntheticArticle], server: MirrorServer) -> None:
    expected = {a.url for a in arts}
    stored = [row[0] for row in query_db(db_path, "SELECT url FROM articles")]
    figures.rows = len(stored)
    figures.missing = len(expected - set(stored))
    figures.unexpected = len(set(stored) - expected)
    figures.duplicate_keys = count_db(
        db_path, "SELECT COUNT(*) FROM (SELECT url_key FROM articles GROUP BY url_key HAVING COUNT(*) > 1)")
    figures.integrity = "; ".join(str(r[0]) for r in query_db(db_path, "PRAGMA integrity_check"))
    figures.leased = count_db(db_path, "SELECT COUNT(*) FROM frontier WHERE state = 'leased'")
    figures.frontier_states = dict(query_db(db_path, "SELECT state, COUNT(*) FROM frontier GROUP BY state"))
    figures.run_statuses = dict(query_db(db_path, "SELECT status, COUNT(*) FROM crawl_runs GROUP BY status"))
    figures.article_downloads = _article_downloads(server, arts)
    figures.other_requests = sum(server.hits.values()) - figures.article_downloads


def _article_downloads(server: MirrorServer, arts: list[SyntheticArticle]) -> int:
    paths = {(outlet_host(a.host), a.path) for a in arts}
    with server._hits_lock:
        return sum(c for key, c in server.hits.items() if key in paths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--window", type=float, default=None,
                        help="upper bound (s) of the kill moment; default: from a timed full crawl")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the site and database here")
    parser.add_argument("--with-sitemap", action="store_true",
                        help="diagnostic variant: each host also has a sitemap of every article")
    args = parser.parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        figures = run(args.articles, args.kills, args.seed, args.workdir, args.window, verbose=True,
                      sitemap=args.with_sitemap)
    else:
        with tempfile.TemporaryDirectory(prefix="killload-") as tmp:
            figures = run(args.articles, args.kills, args.seed, Path(tmp), args.window, verbose=True,
                          sitemap=args.with_sitemap)
    command = f"python -m bench.killload --articles {args.articles} --kills {args.kills} --seed {args.seed}"
    print(command + (f" --window {args.window}" if args.window else "")
          + (" --with-sitemap" if args.with_sitemap else ""))
    print(figures.report())
    if figures.problems() and figures.final_stderr:
        print("--- stderr of the last run ---\n" + figures.final_stderr)
    return 1 if figures.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
