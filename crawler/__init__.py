"""provnews: Scrapy project and CLI for Vietnamese provincial news."""
