"""The unit of work over SQLAlchemy: one connection, one transaction, every repository on it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine

from adapters.db.alert_repository import SqlAlertRepository
from adapters.db.engine import pipelined
from adapters.db.heartbeat_repository import SqlHeartbeatRepository
from adapters.db.incident_repository import SqlIncidentRepository
from adapters.db.maintenance_repository import SqlMaintenanceWindows, SqlSuppressedAlerts
from adapters.db.outbox import SqlOutbox
from adapters.db.repositories import SqlServiceStateRepository, SqlTimeline
from domain.delivery_ports import Outbox
from domain.heartbeat_ports import HeartbeatRepository
from domain.maintenance_ports import MaintenanceWindows, SuppressedAlerts
from domain.ports import AlertRepository, IncidentRepository, ServiceStateRepository, Timeline


class SqlAlchemyUnitOfWork:
    """Everything done between `with` and `commit()` commits together; leaving the block rolls back.

    After `commit()` the unit of work stays usable: the next statement starts a new transaction.
    The repositories keep some writes until a read or the commit (see `repositories`); `commit` writes
    them first.
    """

    # Typed as the ports: a protocol's attributes are invariant, so the concrete classes would not do.
    services: ServiceStateRepository
    incidents: IncidentRepository
    alerts: AlertRepository
    timeline: Timeline
    outbox: Outbox
    heartbeats: HeartbeatRepository
    windows: MaintenanceWindows
    suppressed: SuppressedAlerts

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def __enter__(self) -> Self:
        if self._conn is not None:
            raise RuntimeError("this unit of work is already in use: make one per `with` block")
        # The connection begins its transaction on first use (autobegin), so a unit of work that
        # touches nothing takes no lock, and one that committed holds none until it is used again.
        conn = self._conn = self._engine.connect()
        self.services = self._services = SqlServiceStateRepository(conn)
        timeline = SqlTimeline(conn)
        self.timeline = timeline
        self.incidents = self._incidents = SqlIncidentRepository(conn, timeline)
        # Rows that refer to incidents are written after the new incidents they refer to.
        self._services.before_write = timeline.before_write = self._incidents.insert_new
        self.alerts = self._alerts = SqlAlertRepository(
            conn, before_write=self._incidents.insert_new, opened_here=self._incidents.opened_here
        )
        self.outbox = self._outbox = SqlOutbox(conn)
        self.heartbeats = SqlHeartbeatRepository(conn)
        self.windows = SqlMaintenanceWindows(conn)
        self.suppressed = SqlSuppressedAlerts(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.rollback()
        finally:
            conn.close()

    def commit(self) -> None:
        if self._conn is None:
            raise RuntimeError("commit() outside the unit of work's `with` block")
        self._alerts.read_ahead()
        with pipelined(self._conn):  # what is left is writes, sent together with the COMMIT
            self._alerts.flush()
            self._incidents.flush()
            self._services.flush()
            self._outbox.flush()
            self._conn.commit()
