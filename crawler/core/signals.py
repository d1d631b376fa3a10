"""provnews' own Scrapy signals. A Scrapy signal is any unique object, so defining them
needs no Scrapy; they live here so that senders and receivers on different layers
(the spiders send, the ledger and the route tracker listen) import neither each other.
"""

fetch_failed = object()  # (request: Request, reason: str, status: int | None): a fetch that failed
page_rejected = object()  # (url: str, reason: str): a page fetched fine that holds no article
