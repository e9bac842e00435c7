"""Building the SQLAlchemy engine for SQLite or PostgreSQL, tuned for concurrent writers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError

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
    engine = create_engine(parsed, pool_size=10, max_overflow=10)
    ping_when_idle(engine)
    return engine


# A connection given back to the pool less than this long ago is taken without a ping (see ping_when_idle).
IDLE_BEFORE_PING = 1.0  # seconds


def ping_when_idle(engine: Engine, idle: float = IDLE_BEFORE_PING) -> None:
    """Ping a pooled connection before lending it only when it has lain unused for `idle` seconds.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: under a stream of alerts that is a round trip
    more per group commit (about a tenth of its time) for a connection that answered a moment ago. A
    connection idle longer, as after a quiet night or a database restart, is pinged as before and
    replaced if dead. One that dies within the second after its last use fails the unit of work using
    it; SQLAlchemy then replaces every pooled connection (a disconnect invalidates the pool), and that
    unit's caller retries as it does for any database error (the intake applies the group's requests
    again one by one, a worker runs its round again)."""

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def lent(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is not None and time.monotonic() - returned_at < idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects afresh and tries again
            raise


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


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, the statements of the block are sent without waiting for each one's answer (psycopg's
    pipeline mode): a unit of work's writes and its COMMIT cost one round trip, not one each. An error
    surfaces at the latest at the COMMIT, which SQLAlchemy wraps as usual. Only statements whose results
    are not read belong in the block (SQLAlchemy sees no rows there); elsewhere it does nothing."""
    if conn.dialect.name != "postgresql":
        yield
        return
    with conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
        yield
