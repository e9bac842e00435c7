"""The SQL incident repository: incidents as rows, kept until a read or the commit (see `repositories`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, func, select, text, update

from adapters.db.repositories import SqlTimeline
from adapters.db.tables import incidents
from domain.model import Incident, IncidentId, IncidentState, PersonId, ServiceId, Step

# The incident id column is a 32-bit INTEGER on PostgreSQL: no row has a larger id.
MAX_INCIDENT_ID = 2**31 - 1


class SqlIncidentRepository:
    """With ids reserved ahead (`reserve`), new incidents are inserted with the unit's other writes too;
    `insert_new` writes them, and the repositories whose rows refer to incidents call it first.

    An incident saved as it was read (an alert appended to it changes only its timeline) is not written
    again: only its new events are."""

    def __init__(self, conn: Connection, timeline: SqlTimeline) -> None:
        self._conn = conn
        self._timeline = timeline
        self._unsaved: dict[IncidentId, dict[str, object]] = {}
        self._as_read: dict[IncidentId, dict[str, object]] = {}  # the row of each incident read, or written
        self._uninserted: dict[IncidentId, dict[str, object]] = {}
        self._reserved: list[int] = []
        self._opened: set[IncidentId] = set()  # added in this unit of work

    def reserve(self, count: int) -> None:
        """Take `count` ids ahead, so that new incidents are inserted together at the flush rather than
        one INSERT ... RETURNING each. On PostgreSQL they come from the sequence in one round trip (ids
        reserved and not used are skipped, as a rolled-back insert's are). On SQLite they are the ids
        SQLite itself would give, the largest id's successors (the table has no AUTOINCREMENT): every
        transaction there holds the write lock from its BEGIN IMMEDIATE (`engine.py`), so no other
        writer can take them first, and an id left unused is simply given again later."""
        if count <= 0:
            return
        if self._conn.dialect.name == "postgresql":
            rows = self._conn.execute(_RESERVE_IDS, {"count": count})
            self._reserved.extend(row[0] for row in rows)
        else:
            given = [*self._reserved, *self._uninserted, self._conn.execute(_LARGEST_ID).scalar_one()]
            top = max(given)
            self._reserved.extend(range(top + 1, top + 1 + count))

    def add(self, incident: Incident) -> None:
        # An incident of the same service closed in this unit must be so on the table before the
        # service's next one opens (one open incident per service is a unique index).
        if any(row["b_service_id"] == incident.service_id for row in self._unsaved.values()):
            self.flush()
        if self._reserved:
            incident.id = IncidentId(self._reserved.pop(0))
            self._uninserted[incident.id] = {"id": incident.id, **_incident_values(incident)}
        else:
            self.insert_new()  # on SQLite, the id the table gives next must not be one reserved earlier
            query = incidents.insert().values(**_incident_values(incident)).returning(incidents.c.id)
            incident.id = IncidentId(self._conn.execute(query).scalar_one())
        self._opened.add(incident.id)
        self._append_events(incident)

    def opened_here(self, incident_id: IncidentId) -> bool:
        """Whether this unit of work added the incident (so nothing refers to it outside this unit)."""
        return incident_id in self._opened

    def insert_new(self) -> None:
        if self._uninserted:
            rows, self._uninserted = list(self._uninserted.values()), {}
            self._conn.execute(incidents.insert(), rows)

    def get(self, incident_id: IncidentId) -> Incident | None:
        if not 0 < incident_id <= MAX_INCIDENT_ID:  # an id typed by someone; SQLite cannot even bind 2**64
            return None
        self.flush()
        row = self._conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
        return None if row is None else self._read(row)

    def get_many(self, incident_ids: Sequence[IncidentId]) -> dict[IncidentId, Incident]:
        if not incident_ids:
            return {}
        self.flush()
        rows = self._conn.execute(select(incidents).where(incidents.c.id.in_(set(incident_ids))))
        return {IncidentId(row.id): self._read(row) for row in rows}

    def _read(self, row: Row[Any]) -> Incident:
        self._as_read[IncidentId(row.id)] = {name: row._mapping[name] for name in _INCIDENT_COLUMNS}
        return _incident(row)

    def save(self, incident: Incident) -> None:
        """Kept until `flush`: an incident saved several times in one unit is written once."""
        if incident.id in self._uninserted:
            self._uninserted[incident.id] = {"id": incident.id, **_incident_values(incident)}
            self._append_events(incident)
            return
        values = _incident_values(incident)
        if self._as_read.get(incident.id) != values:
            self._as_read[incident.id] = values
            self._unsaved[incident.id] = {"b_id": incident.id, **{f"b_{k}": v for k, v in values.items()}}
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
        return [(IncidentId(row.id), _step(row)) for row in self._conn.execute(query)]

    def pending_deadlines(self) -> list[tuple[IncidentId, Step, datetime]]:
        self.flush()
        query = self._waiting().order_by(incidents.c.id)
        rows = self._conn.execute(query)
        return [(IncidentId(row.id), _step(row), row.ack_deadline) for row in rows]

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


_RESERVE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :count)"
)
_LARGEST_ID = select(func.coalesce(func.max(incidents.c.id), 0))
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


# The incidents.level column counts levels from 0 and the domain from 1 (see `Step`): `_step` and
# `_stored_level` are the one place that converts. The column keeps its values, with no data migration,
# because during a rolling update a replica of the version before this one, which reads and writes the
# column counting from 0, may run beside this one.
def _step(row: Row[Any]) -> Step:
    return Step(row.level + 1, row.round)


def _stored_level(level: int) -> int:
    return level - 1


def _incident_values(incident: Incident) -> dict[str, object]:
    return {
        "service_id": incident.service_id,
        "summary": incident.summary,
        "state": incident.state.value,
        "level": _stored_level(incident.level),
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
    step = _step(row)
    return Incident(
        id=IncidentId(row.id),
        service_id=ServiceId(row.service_id),
        summary=row.summary,
        opened_at=row.opened_at,
        state=IncidentState(row.state),
        level=step.level,
        round=step.round,
        ack_deadline=row.ack_deadline,
        acknowledged_by=None if row.acknowledged_by is None else PersonId(row.acknowledged_by),
        acknowledged_at=row.acknowledged_at,
        resolved_by=row.resolved_by,
        resolved_at=row.resolved_at,
        exhausted=row.exhausted,
    )
