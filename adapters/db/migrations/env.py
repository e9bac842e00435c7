"""Alembic environment: migrates the connection migrate.upgrade passes in, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from adapters.db.engine import make_engine
from adapters.db.migrate import include_object
from adapters.db.tables import metadata

# No logging.config.fileConfig here, unlike Alembic's template: the pager configures logging itself
# (bot/logs.py, JSON included), and migrations run inside `pager serve`.


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url configured")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            run_on(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported: migrate a live database")
run()
