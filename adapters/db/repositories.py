"""SQL repositories for service states, incidents, alerts and timelines, on one shared connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Insert, Row, Select, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from adapters.db import event_codec
from adapters.db.tables import alerts, incidents, service_states, timeline
from domain.events import Event
from domain.model import (
    Alert,
    Incident,
    IncidentId,
    IncidentState,
    PersonId,
    ServiceId,
    ServiceState,
    Step,
)

# The incident id column is a 32-bit INTEGER on PostgreSQL: no row has a larger id.
MAX_INCIDENT_ID = 2**31 - 1


def insert_ignoring_duplicates(conn: Connection, table: Table, keys: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))


class SqlServiceStateRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def lock(self, service_id: ServiceId) -> ServiceState:
        """The service's state, its row locked until the transaction ends (created healthy if new).

        On SQLite the whole database is already locked by BEGIN IMMEDIATE; FOR UPDATE is dropped.
        """
        found = self._select_for_update(service_id)
        if found is None:
            insert = insert_ignoring_duplicates(self._conn, service_states, ["service_id"])
            self._conn.execute(insert.values(service_id=service_id, open_incident_id=None))
            found = self._select_for_update(service_id)
        assert found is not None, "the row was inserted, or another transaction inserted it first"
        return found

    def save(self, state: ServiceState) -> None:
        values = {"service_id": state.service_id, "open_incident_id": state.open_incident}
        changed = self._conn.execute(
            update(service_states)
            .where(service_states.c.service_id == state.service_id)
            .values(open_incident_id=state.open_incident)
        )
        if changed.rowcount == 0:
            self._conn.execute(service_states.insert().values(**values))

    def list(self) -> list[ServiceState]:
        rows = self._conn.execute(select(service_states).order_by(service_states.c.service_id))
        return [_service_state(row) for row in rows]

    def _select_for_update(self, service_id: ServiceId) -> ServiceState | None:
        query = select(service_states).where(service_states.c.service_id == service_id).with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else _service_state(row)


class SqlTimeline:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def append(self, incident_id: IncidentId, event: Event) -> None:
        kind, data = event_codec.encode(event)
        self._conn.execute(
            timeline.insert().values(incident_id=incident_id, at=event.at, kind=kind, data=data)
        )

    def of(self, incident_id: IncidentId) -> list[Event]:
        query = select(timeline).where(timeline.c.incident_id == incident_id).order_by(timeline.c.id)
        return [event_codec.decode(row.kind, row.at, row.data) for row in self._conn.execute(query)]


class SqlIncidentRepository:
    def __init__(self, conn: Connection, timeline: SqlTimeline) -> None:
        self._conn = conn
        self._timeline = timeline

    def add(self, incident: Incident) -> None:
        query = incidents.insert().values(**_incident_values(incident)).returning(incidents.c.id)
        incident.id = IncidentId(self._conn.execute(query).scalar_one())
        self._append_events(incident)

    def get(self, incident_id: IncidentId) -> Incident | None:
        if not 0 < incident_id <= MAX_INCIDENT_ID:  # an id typed by someone; SQLite cannot even bind 2**64
            return None
        row = self._conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return None if row is None else _incident(row)

    def save(self, incident: Incident) -> None:
        self._conn.execute(
            update(incidents).where(incidents.c.id == incident.id).values(**_incident_values(incident))
        )
        self._append_events(incident)

    def overdue(self, now: datetime, limit: int) -> list[tuple[IncidentId, Step]]:
        query = (
            self._waiting()
            .where(incidents.c.ack_deadline <= now)
            .order_by(incidents.c.ack_deadline, incidents.c.id)
            .limit(limit)
        )
        return [(IncidentId(row.id), Step(row.level, row.round)) for row in self._conn.execute(query)]

    def pending_deadlines(self) -> list[tuple[IncidentId, Step, datetime]]:
        query = self._waiting().order_by(incidents.c.id)
        rows = self._conn.execute(query)
        return [(IncidentId(row.id), Step(row.level, row.round), row.ack_deadline) for row in rows]

    def list(self, states: Sequence[IncidentState], limit: int = 100) -> list[Incident]:
        query = (
            select(incidents)
            .where(incidents.c.state.in_([s.value for s in states]))
            .order_by(incidents.c.id.desc())
            .limit(limit)
        )
        return [_incident(row) for row in self._conn.execute(query)]

    def _waiting(self) -> Select[Any]:
        return select(incidents).where(
            incidents.c.state == IncidentState.TRIGGERED.value, incidents.c.ack_deadline.is_not(None)
        )

    def _append_events(self, incident: Incident) -> None:
        for event in incident.events:
            self._timeline.append(incident.id, event)
        incident.events.clear()


class SqlAlertRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        counted = self._conn.execute(
            update(alerts)
            .where(alerts.c.incident_id == incident_id, alerts.c.firing, _same_key(alert.dedup_key))
            .values(count=alerts.c.count + 1, last_at=at)
        )
        if counted.rowcount == 0:
            self._conn.execute(
                alerts.insert().values(
                    incident_id=incident_id,
                    dedup_key=alert.dedup_key,
                    firing=True,
                    count=1,
                    first_at=at,
                    last_at=at,
                )
            )

    def resolve(self, incident_id: IncidentId, dedup_key: str | None, at: datetime) -> None:
        query = update(alerts).where(alerts.c.incident_id == incident_id, alerts.c.firing)
        if dedup_key is not None:
            query = query.where(_same_key(dedup_key))
        self._conn.execute(query.values(firing=False, last_at=at))

    def firing_count(self, incident_id: IncidentId) -> int:
        query = select(func.count()).where(alerts.c.incident_id == incident_id, alerts.c.firing)
        return int(self._conn.execute(query).scalar_one())

    def is_firing(self, incident_id: IncidentId, dedup_key: str) -> bool:
        query = select(alerts.c.id).where(
            alerts.c.incident_id == incident_id, alerts.c.firing, alerts.c.dedup_key == dedup_key
        )
        return self._conn.execute(query.limit(1)).first() is not None


def _same_key(dedup_key: str | None) -> ColumnElement[bool]:
    return alerts.c.dedup_key.is_(None) if dedup_key is None else alerts.c.dedup_key == dedup_key


def _service_state(row: Row[Any]) -> ServiceState:
    open_incident = None if row.open_incident_id is None else IncidentId(row.open_incident_id)
    return ServiceState(ServiceId(row.service_id), open_incident)


def _incident_values(incident: Incident) -> dict[str, object]:
    return {
        "service_id": incident.service_id,
        "summary": incident.summary,
        "state": incident.state.value,
        "level": incident.level,
        "round": incident.round,
        "ack_deadline": incident.ack_deadline,
        "acknowledged_by": incident.acknowledged_by,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_by": incident.resolved_by,
        "resolved_at": incident.resolved_at,
        "exhausted": incident.exhausted,
        "opened_at": incident.opened_at,
    }


def _incident(row: Row[Any]) -> Incident:
    return Incident(
        id=IncidentId(row.id),
        service_id=ServiceId(row.service_id),
        summary=row.summary,
        opened_at=row.opened_at,
        state=IncidentState(row.state),
        level=row.level,
        round=row.round,
        ack_deadline=row.ack_deadline,
        acknowledged_by=None if row.acknowledged_by is None else PersonId(row.acknowledged_by),
        acknowledged_at=row.acknowledged_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        exhausted=row.exhausted,
    )
