"""Alembic environment for provnews: online only, engine handed in by storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from storage.models import Base

# Tables in the same database that are not ours to migrate: APScheduler's job store
# and the scheduler's lock (crawler.scheduling) create and own them.
FOREIGN_TABLES = {"apscheduler_jobs", "provnews_scheduler_lock"}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (type_ == "table" and name in FOREIGN_TABLES)


# Any constant works; it only has to be the same for every provnews process.
PG_MIGRATION_LOCK = 0x70726F76  # "prov"


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=include_object,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            # Note: a batch copy of ``articles`` drops its FTS triggers, so such a
            # migration must recreate them (see versions/0001_initial.py).
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Two processes opening a fresh database must not both create tables.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("provnews migrations run online only (storage.migrate.upgrade)")
run_migrations_online()
