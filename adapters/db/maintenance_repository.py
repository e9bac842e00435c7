"""The SQL repositories of maintenance: windows and the alerts they suppressed.

Unlike the incidents' repositories they write at once, not at the next read or the commit: a window is
written by a person's request, and an alert is suppressed only during maintenance, both rare.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select, update

from adapters.db.repositories import insert_ignoring_duplicates
from adapters.db.tables import maintenance_windows, suppressed_alerts
from domain.alerts import Alert
from domain.maintenance import MaintenanceWindow, SuppressedAlert, WindowId
from domain.model import IncidentId, ServiceId

# Ids are 32-bit integers on PostgreSQL: an id typed by someone may be larger.
MAX_WINDOW_ID = 2**31 - 1


class SqlMaintenanceWindows:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        query = maintenance_windows.insert().values(**_values(window)).returning(maintenance_windows.c.id)
        return _with_id(window, self._conn.execute(query).scalar_one())

    def declare(self, window: MaintenanceWindow, key: str) -> bool:
        insert = insert_ignoring_duplicates(self._conn, maintenance_windows, ["config_key"])
        query = insert.values(**_values(window), config_key=key).returning(maintenance_windows.c.id)
        return self._conn.execute(query).first() is not None

    def get(self, window_id: WindowId) -> MaintenanceWindow | None:
        if not 0 < window_id <= MAX_WINDOW_ID:
            return None
        row = self._conn.execute(_WINDOWS.where(maintenance_windows.c.id == window_id)).first()
        return None if row is None else _window(row)

    def save(self, window: MaintenanceWindow) -> None:
        query = update(maintenance_windows).where(maintenance_windows.c.id == window.id)
        self._conn.execute(query.values(_values(window)))

    def active(self, at: datetime) -> list[MaintenanceWindow]:
        c = maintenance_windows.c
        query = _WINDOWS.where(c.starts_at <= at, c.ends_at > at).order_by(c.id)
        return [_window(row) for row in self._conn.execute(query)]

    def not_ended(self, at: datetime, limit: int) -> list[MaintenanceWindow]:
        c = maintenance_windows.c
        query = _WINDOWS.where(c.ends_at > at).order_by(c.starts_at, c.id).limit(limit)
        return [_window(row) for row in self._conn.execute(query)]

    def ended_unhandled(self, at: datetime, limit: int) -> list[MaintenanceWindow]:
        c = maintenance_windows.c
        query = _WINDOWS.where(c.ends_at <= at, c.handled_at.is_(None)).order_by(c.ends_at, c.id).limit(limit)
        return [_window(row) for row in self._conn.execute(query)]

    def pending_ends(self) -> list[datetime]:
        c = maintenance_windows.c
        return list(self._conn.execute(select(c.ends_at).where(c.handled_at.is_(None))).scalars())


class SqlSuppressedAlerts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, service_id: ServiceId, alert: Alert, at: datetime) -> None:
        c = suppressed_alerts.c
        found = self._conn.execute(
            _pending([service_id]).where(_same_key(alert.dedup_key)).with_only_columns(c.id, c.starts_at)
        ).first()
        if found is None:
            self._conn.execute(suppressed_alerts.insert().values(**_new(service_id, alert, at)))
            return
        starts = max((t for t in (found.starts_at, alert.starts_at) if t is not None), default=None)
        self._conn.execute(
            update(suppressed_alerts)
            .where(c.id == found.id)
            .values(count=c.count + 1, last_at=at, starts_at=starts)
        )

    def resolve(self, service_id: ServiceId, dedup_key: str | None, at: datetime) -> int:
        c = suppressed_alerts.c
        query = update(suppressed_alerts).where(c.service_id == service_id, c.firing, c.released_at.is_(None))
        if dedup_key is not None:
            query = query.where(c.dedup_key == dedup_key)
        return int(self._conn.execute(query.values(firing=False, resolved_at=at)).rowcount)

    def pending(
        self, service_ids: Sequence[ServiceId] | None = None, limit: int | None = None
    ) -> list[SuppressedAlert]:
        query = _pending(service_ids).order_by(suppressed_alerts.c.id).limit(limit)
        return [_suppressed(row) for row in self._conn.execute(query)]

    def pending_counts(self) -> dict[ServiceId, int]:
        c = suppressed_alerts.c
        query = _pending(None).with_only_columns(c.service_id, func.count()).group_by(c.service_id)
        return {ServiceId(service): int(count) for service, count in self._conn.execute(query)}

    def release(self, service_id: ServiceId, incident_id: IncidentId, at: datetime) -> None:
        c = suppressed_alerts.c
        query = update(suppressed_alerts).where(c.service_id == service_id, c.firing, c.released_at.is_(None))
        self._conn.execute(query.values(released_at=at, incident_id=incident_id))


_WINDOWS = select(maintenance_windows)


def _pending(service_ids: Sequence[ServiceId] | None) -> Select[Any]:
    c = suppressed_alerts.c
    query = select(suppressed_alerts).where(c.firing, c.released_at.is_(None))
    return query if service_ids is None else query.where(c.service_id.in_(list(service_ids)))


def _same_key(dedup_key: str | None) -> Any:
    c = suppressed_alerts.c
    return c.dedup_key.is_(None) if dedup_key is None else c.dedup_key == dedup_key


def _values(window: MaintenanceWindow) -> dict[str, Any]:
    return {
        "services": json.dumps(list(window.services)),
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "reason": window.reason,
        "created_by": window.created_by,
        "handled_at": window.ends_at if window.handled else None,  # the end that was handled
    }


def _with_id(window: MaintenanceWindow, window_id: int) -> MaintenanceWindow:
    return replace(window, id=WindowId(window_id))


def _window(row: Row[Any]) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=WindowId(row.id),
        services=tuple(ServiceId(s) for s in json.loads(row.services)),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
        created_by=row.created_by,
        handled=row.handled_at is not None,
    )


def _new(service_id: ServiceId, alert: Alert, at: datetime) -> dict[str, Any]:
    return {
        "service_id": service_id,
        "dedup_key": alert.dedup_key,
        "summary": alert.summary,
        "severity": alert.severity,
        "source": alert.source,
        "firing": True,
        "count": 1,
        "first_at": at,
        "last_at": at,
        "starts_at": alert.starts_at,
    }


def _suppressed(row: Row[Any]) -> SuppressedAlert:
    return SuppressedAlert(
        id=row.id,
        service_id=ServiceId(row.service_id),
        dedup_key=row.dedup_key,
        summary=row.summary,
        severity=row.severity,
        source=row.source,
        count=row._mapping["count"],  # `Row.count` is the tuple method
        first_at=row.first_at,
        last_at=row.last_at,
        starts_at=row.starts_at,
    )
