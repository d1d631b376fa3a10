"""Use cases the shells (CLI, HTTP API, scheduler) share: crawl, search, export, evaluate."""
