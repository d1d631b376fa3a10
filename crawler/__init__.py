"""provnews: Scrapy project and CLI for Vietnamese provincial news."""

__version__ = "0.1.0"
