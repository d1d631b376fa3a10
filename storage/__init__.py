"""provnews storage: SQLAlchemy models, engines, Alembic migrations, search and query helpers.

Typical use::

    db = open_database(database_url(cli_value))      # migrates on first use
    with db.session() as session, session.begin():   # the caller owns the transaction
        upsert_article(session, record, url_key, seen_urls)
"""

from storage.database import open_database
from storage.engine import DEFAULT_DATABASE_URL, Database, database_url, make_engine
from storage.errors import StorageError
from storage.migrate import current_revision, downgrade, head_revision, upgrade
from storage.queries import (
    ArticleWrite,
    OutletSummary,
    UpsertResult,
    add_url,
    count_articles,
    find_by_content_hash,
    get_article,
    iter_articles,
    latest_articles,
    make_url_key,
    outlet_summary,
    to_record,
    upsert_article,
    upsert_articles,
)
from storage.search import SearchHit, fold, search

__all__ = [
    "ArticleWrite", "upsert_articles", "DEFAULT_DATABASE_URL", "Database", "OutletSummary", "SearchHit", "StorageError", "UpsertResult",
    "add_url", "count_articles", "current_revision", "database_url", "downgrade", "find_by_content_hash", "fold",
    "get_article", "head_revision", "iter_articles", "latest_articles", "make_engine", "make_url_key", "open_database",
    "outlet_summary", "search", "to_record", "upgrade", "upsert_article",
]
