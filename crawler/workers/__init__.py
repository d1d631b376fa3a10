"""Crawls and re-extractions on Celery workers, over any number of machines.

- ``app``: the Celery application and its configuration (acks late, prefetch 1, …).
- ``jobs``: what a worker runs: a crawl under its outlet's lock, a re-extraction;
  each in a subprocess with a time limit, as the scheduler runs crawls.
- ``enqueue``: putting jobs on the broker (``provnews enqueue``, the scheduler) and
  asking it which workers are alive (``provnews workers``).

PostgreSQL stays the one source of truth (articles, frontier leases, ledger, schedule);
the broker only carries jobs: "crawl outlet K", "re-extract these articles".
"""
