"""SQL repositories for service states, incidents and timelines, on one shared connection.

Writes that nothing needs back at once (an incident's new state, timeline events, alert counts) are kept
until the next read of the same repository or the commit, then written together: a group of alerts then
costs a few round trips to the database instead of several per alert. An error of such a write surfaces
at that read or at the commit, and fails the whole unit of work, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, Row, Select, Table, bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from adapters.db import event_codec
from adapters.db.tables import incidents, service_states, timeline
from domain.events import Event
from domain.model import (
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


def insert_or_update(conn: Connection, table: Table, keys: Sequence[str], columns: Sequence[str]) -> Insert:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET columns, in the connection's dialect."""
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={c: insert.excluded[c] for c in columns}
    )


def _nothing() -> None:
    pass


class SqlServiceStateRepository:
    def __init__(self, conn: Connection, before_write: Callable[[], None] = _nothing) -> None:
        self._conn = conn
        self._unsaved: dict[ServiceId, dict[str, object]] = {}
        self.before_write = before_write  # writes what the rows refer to (new incidents)

    def lock(self, service_id: ServiceId) -> ServiceState:
        """The service's state, its row locked until the transaction ends (created healthy if new).

        On SQLite the whole database is already locked by BEGIN IMMEDIATE; FOR UPDATE is dropped.
        """
        self.flush()
        found = self._select_for_update(service_id)
        if found is None:
            insert = insert_ignoring_duplicates(self._conn, service_states, ["service_id"])
            self._conn.execute(insert.values(service_id=service_id, open_incident_id=None))
            found = self._select_for_update(service_id)
        assert found is not None, "the row was inserted, or another transaction inserted it first"
        return found

    def lock_all(self, service_ids: Sequence[ServiceId]) -> list[ServiceState]:
        """One statement for every service (two more when some are new). PostgreSQL locks the rows in the
        order of the ORDER BY, the database's order of ids, which is the same for every caller."""
        self.flush()
        wanted = sorted(set(service_ids))
        found = self._select_all_for_update(wanted)
        if missing := [s for s in wanted if s not in {state.service_id for state in found}]:
            insert = insert_ignoring_duplicates(self._conn, service_states, ["service_id"])
            self._conn.execute(insert.values([{"service_id": s, "open_incident_id": None} for s in missing]))
            found = self._select_all_for_update(wanted)
        assert len(found) == len(wanted), "the rows were inserted, or other transactions inserted them first"
        return found

    def _select_all_for_update(self, service_ids: list[ServiceId]) -> list[ServiceState]:
        query = (
            select(service_states)
            .where(service_states.c.service_id.in_(service_ids))
            .order_by(service_states.c.service_id)
            .with_for_update()
        )
        return [_service_state(row) for row in self._conn.execute(query)]

    def save(self, state: ServiceState) -> None:
        """Kept until `flush` (called by the next lock, list or the commit)."""
        self._unsaved[state.service_id] = {
            "service_id": state.service_id,
            "open_incident_id": state.open_incident,
        }

    def flush(self) -> None:
        if self._unsaved:
            self.before_write()
            rows, self._unsaved = list(self._unsaved.values()), {}
            insert = insert_or_update(self._conn, service_states, ["service_id"], ["open_incident_id"])
            self._conn.execute(insert, rows)

    def list(self) -> list[ServiceState]:
        self.flush()
        rows = self._conn.execute(select(service_states).order_by(service_states.c.service_id))
        return [_service_state(row) for row in rows]

    def _select_for_update(self, service_id: ServiceId) -> ServiceState | None:
        query = select(service_states).where(service_states.c.service_id == service_id).with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else _service_state(row)


class SqlTimeline:
    def __init__(self, conn: Connection, before_write: Callable[[], None] = _nothing) -> None:
        self._conn = conn
        self._pending: list[dict[str, object]] = []
        self.before_write = before_write  # writes what the rows refer to (new incidents)

    def append(self, incident_id: IncidentId, event: Event) -> None:
        self.extend(incident_id, [event])

    def extend(self, incident_id: IncidentId, events: Sequence[Event]) -> None:
        """Append events, in order; they are written at the next `of`, `flush` or commit."""
        for event in events:
            kind, data = event_codec.encode(event)
            self._pending.append({"incident_id": incident_id, "at": event.at, "kind": kind, "data": data})

    def flush(self) -> None:
        """Write the appended events in one executemany (one round trip on PostgreSQL)."""
        if self._pending:
            self.before_write()
            rows, self._pending = self._pending, []
            self._conn.execute(timeline.insert(), rows)

    def of(self, incident_id: IncidentId) -> list[Event]:
        self.flush()
        query = select(timeline).where(timeline.c.incident_id == incident_id).order_by(timeline.c.id)
        return [event_codec.decode(row.kind, row.at, row.data) for row in self._conn.execute(query)]


class SqlIncidentRepository:
    """With ids reserved ahead (`reserve`), new incidents are inserted with the unit's other writes too;
    `insert_new` writes them, and the repositories whose rows refer to incidents call it first."""

    def __init__(self, conn: Connection, timeline: SqlTimeline) -> None:
        self._conn = conn
        self._timeline = timeline
        self._unsaved: dict[IncidentId, dict[str, object]] = {}
        self._uninserted: dict[IncidentId, dict[str, object]] = {}
        self._reserved: list[int] = []

    def reserve(self, count: int) -> None:
        """On PostgreSQL, take `count` ids from the sequence in one round trip; SQLite, in process,
        gains nothing from it. Ids reserved and not used are skipped, as a rolled-back insert's are."""
        if count > 0 and self._conn.dialect.name == "postgresql":
            rows = self._conn.execute(_RESERVE_IDS, {"count": count})
            self._reserved.extend(row[0] for row in rows)

    def add(self, incident: Incident) -> None:
        # An incident of the same service closed in this unit must be so on the table before the
        # service's next one opens (one open incident per service is a unique index).
        if any(row["b_service_id"] == incident.service_id for row in self._unsaved.values()):
            self.flush()
        if self._reserved:
            incident.id = IncidentId(self._reserved.pop(0))
            self._uninserted[incident.id] = {"id": incident.id, **_incident_values(incident)}
        else:
            query = incidents.insert().values(**_incident_values(incident)).returning(incidents.c.id)
            incident.id = IncidentId(self._conn.execute(query).scalar_one())
        self._append_events(incident)

    def insert_new(self) -> None:
        if self._uninserted:
            rows, self._uninserted = list(self._uninserted.values()), {}
            self._conn.execute(incidents.insert(), rows)

    def get(self, incident_id: IncidentId) -> Incident | None:
        if not 0 < incident_id <= MAX_INCIDENT_ID:  # an id typed by someone; SQLite cannot even bind 2**64
            return None
        self.flush()
        row = self._conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return None if row is None else _incident(row)

    def get_many(self, incident_ids: Sequence[IncidentId]) -> dict[IncidentId, Incident]:
        if not incident_ids:
            return {}
        self.flush()
        rows = self._conn.execute(select(incidents).where(incidents.c.id.in_(set(incident_ids))))
        return {IncidentId(row.id): _incident(row) for row in rows}

    def save(self, incident: Incident) -> None:
        """Kept until `flush`: an incident saved several times in one unit is written once."""
        if incident.id in self._uninserted:
            self._uninserted[incident.id] = {"id": incident.id, **_incident_values(incident)}
            self._append_events(incident)
            return
        values = {f"b_{name}": value for name, value in _incident_values(incident).items()}
        self._unsaved[incident.id] = {"b_id": incident.id, **values}
        self._append_events(incident)

    def flush(self) -> None:
        """Write every new incident, then every saved one, in one executemany each, then their events."""
        self.insert_new()
        if self._unsaved:
            rows, self._unsaved = list(self._unsaved.values()), {}
            self._conn.execute(_UPDATE_INCIDENT, rows)
        self._timeline.flush()

    def overdue(self, now: datetime, limit: int) -> list[tuple[IncidentId, Step]]:
        self.flush()
        query = (
            self._waiting()
            .where(incidents.c.ack_deadline <= now)
            .order_by(incidents.c.ack_deadline, incidents.c.id)
            .limit(limit)
        )
        return [(IncidentId(row.id), Step(row.level, row.round)) for row in self._conn.execute(query)]

    def pending_deadlines(self) -> list[tuple[IncidentId, Step, datetime]]:
        self.flush()
        query = self._waiting().order_by(incidents.c.id)
        rows = self._conn.execute(query)
        return [(IncidentId(row.id), Step(row.level, row.round), row.ack_deadline) for row in rows]

    def list(
        self, states: Sequence[IncidentState], limit: int = 100, before: IncidentId | None = None
    ) -> list[Incident]:
        self.flush()
        query = (
            select(incidents)
            .where(incidents.c.state.in_([s.value for s in states]))
            .order_by(incidents.c.id.desc())
            .limit(limit)
        )
        if before is not None and before <= MAX_INCIDENT_ID:  # every id is below a larger one
            query = query.where(incidents.c.id < max(before, 0))
        return [_incident(row) for row in self._conn.execute(query)]

    def _waiting(self) -> Select[Any]:
        return select(incidents).where(
            incidents.c.state == IncidentState.TRIGGERED.value, incidents.c.ack_deadline.is_not(None)
        )

    def _append_events(self, incident: Incident) -> None:
        self._timeline.extend(incident.id, incident.events)
        incident.events.clear()


def _service_state(row: Row[Any]) -> ServiceState:
    open_incident = None if row.open_incident_id is None else IncidentId(row.open_incident_id)
    return ServiceState(ServiceId(row.service_id), open_incident)


_RESERVE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :count)"
)
_INCIDENT_COLUMNS = (
    "service_id", "summary", "state", "level", "round", "ack_deadline", "acknowledged_by",
    "acknowledged_at", "resolved_by", "resolved_at", "exhausted", "opened_at",
)  # fmt: skip
# Bound names differ from the columns': SQLAlchemy keeps the columns' own names for itself.
_UPDATE_INCIDENT = (
    update(incidents)
    .where(incidents.c.id == bindparam("b_id"))
    .values({name: bindparam(f"b_{name}") for name in _INCIDENT_COLUMNS})
)


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
