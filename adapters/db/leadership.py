"""Which process runs the escalation timer: the holder of a PostgreSQL advisory lock, or the only one.

APScheduler supports one scheduler per job store, so among several `pager serve` replicas on one
PostgreSQL database exactly one (the leader) runs it; the others accept webhooks and send pages
all the same, and take over when the leader goes away.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import psycopg
import structlog
from sqlalchemy import Engine, text

from adapters.worker import Worker

# Any constant will do, as long as every replica uses the same one and nothing else in the
# database takes it (the migration lock is 0x7061676572).
LEADER_LOCK_ID = 0x70616765724C44

_log = structlog.get_logger("pager.leadership")

Callback = Callable[[], None]

# pg_locks shows a bigint advisory key as its two 32-bit halves, with objsubid 1.
_LOCK_ROW = (
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid = ({key} >> 32) AND objid = ({key} & 4294967295)"
)
_TRY_LOCK = "SELECT pg_try_advisory_lock(%(key)s)"
_HELD_BY_ME = _LOCK_ROW.format(key="%(key)s") + " AND pid = pg_backend_pid())"
_HELD_BY_ANYONE = text(_LOCK_ROW.format(key=":key") + ")")

# The lock lives as long as its connection, so a dead peer must be noticed on both ends: the
# leader gives up its connection within ~5 s of the network failing (tcp_user_timeout), well
# before the server drops the session and frees the lock (~11 s without traffic, keepalives).
_CONNECTION_OPTIONS: Mapping[str, Any] = MappingProxyType(
    {
        "autocommit": True,
        "connect_timeout": 5,
        "application_name": "pager-leader-election",
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
        "tcp_user_timeout": 5000,
        "options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
    }
)


class Leadership(Protocol):
    """Tells a process when it is the one to run singleton work (the escalation timer)."""

    def start(self, on_elected: Callback, on_deposed: Callback) -> None:
        """Begin taking part. `on_elected` runs when this process becomes leader, `on_deposed` as soon
        as it stops being leader (lost its lock, or `stop`); both run on the elector's own thread, but
        `on_deposed` on the caller's thread when `stop` steps down."""
        ...

    def stop(self) -> None:
        """Step down (calling `on_deposed` if leading) and let another process lead right away."""
        ...

    @property
    def is_leader(self) -> bool: ...

    def leader_known(self) -> bool:
        """Does some process lead right now (this one or another)? May raise if the database is away."""
        ...


class SoleLeader:
    """SQLite: one process per database (`SqliteProcessLock` refuses a second), so it always leads."""

    def __init__(self) -> None:
        self._on_deposed: Callback | None = None

    def start(self, on_elected: Callback, on_deposed: Callback) -> None:
        self._on_deposed = on_deposed
        on_elected()

    def stop(self) -> None:
        if self._on_deposed is not None:
            on_deposed, self._on_deposed = self._on_deposed, None
            on_deposed()

    @property
    def is_leader(self) -> bool:
        return self._on_deposed is not None

    def leader_known(self) -> bool:
        return self.is_leader


class PostgresLeaderElector:
    """Leader = holder of a session advisory lock, on a connection of its own rather than the pool's
    (a pooled connection would carry the lock off to whatever borrows it next).

    Every `interval` a standby tries the lock and the leader checks it still holds it. A new
    holder waits two intervals before leading, so a leader that lost its connection has surely
    noticed and stopped first: two schedulers never run on one job store.
    """

    def __init__(self, engine: Engine, *, interval: float = 1.0, lock_id: int = LEADER_LOCK_ID) -> None:
        self._engine = engine
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._interval = interval
        self._key = {"key": lock_id}
        self._conn: psycopg.Connection[Any] | None = None
        self._held_since: float | None = None
        self._leading = False
        self._on_elected: Callback = _nothing
        self._on_deposed: Callback = _nothing
        self._stopping = False
        self._worker = Worker("leader-election", self._round, restart_after=interval)

    def start(self, on_elected: Callback, on_deposed: Callback) -> None:
        self._on_elected, self._on_deposed = on_elected, on_deposed
        self._worker.start()

    def stop(self) -> None:
        self._stopping = True
        if self._worker.stop(self._interval + 10):
            self._lose("shutting down")
        else:  # a round stuck on the database steps down itself once it ends
            _log.warning("leader election did not stop in time")

    @property
    def is_leader(self) -> bool:
        return self._leading

    def leader_known(self) -> bool:
        with self._engine.connect() as conn:
            return bool(conn.execute(_HELD_BY_ANYONE, self._key).scalar_one())

    def _round(self) -> float:
        try:
            self._tick()
        except Exception as exc:  # the database away, or a callback failing: stand by, try again
            if not isinstance(exc, psycopg.Error):
                _log.exception("leader election round failed")
            self._lose(f"{type(exc).__name__}: {str(exc).strip()}")
        if self._stopping:  # here too, in case `stop` stops waiting for this round
            self._lose("shutting down")
        return self._interval

    def _tick(self) -> None:
        if self._conn is None:
            self._conn = psycopg.connect(self._conninfo, **_CONNECTION_OPTIONS)
        if self._held_since is None:
            if self._query(_TRY_LOCK):
                self._held_since = time.monotonic()
        elif not self._query(_HELD_BY_ME):  # e.g. a pooler between us and the server dropped it
            self._lose("advisory lock no longer held")
        elif not self._leading and time.monotonic() - self._held_since >= 2 * self._interval:
            self._leading = True
            _log.info("leading: this replica runs the escalation timer")
            self._on_elected()

    def _query(self, sql: str) -> bool:
        assert self._conn is not None
        row = self._conn.execute(sql, self._key).fetchone()
        return bool(row and row[0])

    def _lose(self, reason: str) -> None:
        """Stop leading first, then drop the connection: closing it frees the lock for a standby."""
        if self._leading:
            self._leading = False
            log = _log.info if self._stopping else _log.warning
            log("no longer leading", reason=reason)
            self._on_deposed()
        self._held_since = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()


def _nothing() -> None:
    pass
