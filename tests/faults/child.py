"""Run one crawl in this (child) process with setting overrides; write what happened as JSON.

``python -m tests.faults.child SPEC.json OUT.json``. The spec names the spider
(``outlet`` with ``outlet``, or ``urls`` with ``urls``), the database, ``--sources``
file and mirror origin, Scrapy setting overrides and, optionally, a resolver class.
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

    import crawler.runner as runner
    from crawler.spiders.outlet import OutletSpider
    from crawler.spiders.urls import UrlSpider
    from storage.engine import open_database

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
        jobs = [("crawl", OutletSpider, {"outlet": spec["outlet"]})]
    else:
        jobs = [("scrape", UrlSpider, {"urls": spec["urls"]})]
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


if __name__ == "__main__":
    main(*sys.argv[1:3])
