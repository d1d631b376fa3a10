"""Discovery: reading feeds, sitemaps and listing pages, and choosing the routes."""
