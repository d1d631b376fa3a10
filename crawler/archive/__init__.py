"""The raw archive: every article response kept as a WARC record (``warc``), written
during a crawl by ``middleware``, and the version of the extractor that reads it
(``extractor``)."""
