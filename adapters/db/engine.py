"""Building the SQLAlchemy engine for SQLite or PostgreSQL, tuned for concurrent writers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

_POSTGRES_SCHEMES = frozenset({"postgres", "postgresql"})
_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine for `sqlite:///path.db` or `postgresql://...` (also `postgres://`, using psycopg 3).

    Raises ValueError for any other database, and for in-memory SQLite, where every pooled
    connection would see its own empty database.
    """
    parsed = _normalize(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _normalize(url: str) -> URL:
    scheme, sep, rest = url.partition("://")
    if sep and scheme in _POSTGRES_SCHEMES:
        url = f"postgresql+psycopg://{rest}"
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}: use sqlite or postgresql")
    if backend == "sqlite" and parsed.database in {None, "", ":memory:"}:
        raise ValueError("in-memory SQLite is not supported: give a file path, as in sqlite:///pager.db")
    return parsed


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take BEGIN away from pysqlite so that _on_sqlite_begin can emit its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # SQLite ignores SELECT ... FOR UPDATE: taking the write lock when the transaction starts is
    # what keeps two read-modify-write transactions from interleaving (and from deadlocking on
    # a lock upgrade, which busy_timeout cannot resolve).
    connection.exec_driver_sql("BEGIN IMMEDIATE")
