"""Run one crawl in this (child) process with setting overrides; write what happened as JSON.

``python -m tests.faults.child SPEC.json OUT.json``. The spec names the spider
(``outlet`` with ``outlet``, or ``urls`` with ``urls``), the database, ``--sources``
file and mirror origin, Scrapy setting overrides and, optionally, a resolver class,
the outlet spider's ``routes`` and ``headers`` sent with each article request.
Stats, stored URLs, wall time and peak RSS (``ru_maxrss``, before and after) come
back, so a test can assert what was recorded and what it cost.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main(spec_path: str, out_path: str) -> None:
    spec = json.load(open(spec_path, encoding="utf-8"))

    import crawler.services.crawl as runner
    from crawler.spiders.outlet import OutletSpider
    from crawler.spiders.urls import UrlSpider
    from storage.database import open_database

    open_database(spec["db"]).engine.dispose()
    original = runner.build_settings

    def build_settings(options):  # noqa: ANN001,ANN202
        settings = original(options)
        settings.setdict(spec.get("settings", {}), priority="cmdline")
        return settings

    runner.build_settings = build_settings
    options = runner.CrawlOptions(spec["db"], mirror=spec.get("mirror"), sources=spec.get("sources"),
                                  log_level=spec.get("log_level", "WARNING"),
                                  user_urls=spec.get("user_urls", False),
                                  allow_private=spec.get("allow_private", False))
    if spec["spider"] == "outlet":
        routes = {"routes": spec["routes"]} if spec.get("routes") else {}
        jobs = [("crawl", with_headers(OutletSpider, spec.get("headers")), {"outlet": spec["outlet"], **routes})]
    else:
        jobs = [("scrape", with_headers(UrlSpider, spec.get("headers")), {"urls": spec["urls"]})]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.monotonic()
    (report,) = runner.run_spiders(jobs, options)
    elapsed = time.monotonic() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "stats": {k: v for k, v in report.stats.items() if isinstance(v, (int, float, str))},
        "stored": [r.url for r in report.stored],
        "dropped": report.dropped,
        "elapsed": elapsed,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
    }
    json.dump(out, open(out_path, "w", encoding="utf-8"), default=str)


def with_headers(spider_cls: type, headers: dict[str, str] | None) -> type:
    """The spider, sending ``headers`` with each article request (A12: credentials
    on a redirect). Set per request, as a user's would be: DEFAULT_REQUEST_HEADERS
    would add them again to every redirect hop."""
    if not headers:
        return spider_cls

    class WithHeaders(spider_cls):  # type: ignore[misc,valid-type]
        def article_request(self, *args, **kwargs):  # noqa: ANN002,ANN003,ANN202
            request = super().article_request(*args, **kwargs)
            request.headers.update(headers)
            return request

    return WithHeaders


if __name__ == "__main__":
    main(*sys.argv[1:3])
