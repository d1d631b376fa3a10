"""Fetching: downloader middlewares (one per module, as in Scrapy), the egress guard and conditional requests."""
