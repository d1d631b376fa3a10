"""The framework-free core: the article record, URL keys, the outlet registry model,
date parsing, similarity maths. Imports no Scrapy, Twisted or SQLAlchemy."""
