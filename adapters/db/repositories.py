"""SQL repositories for service states and timelines, on one shared connection, and the inserts they share.

Writes that nothing needs back at once (an incident's new state, timeline events, alert counts) are kept
until the next read of the same repository or the commit, then written together: a group of alerts then
costs a few round trips to the database instead of several per alert. An error of such a write surfaces
at that read or at the commit, and fails the whole unit of work: nothing of it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Insert, Row, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from adapters.db import event_codec
from adapters.db.tables import service_states, timeline
from domain.events import Event
from domain.model import IncidentId, ServiceId, ServiceState


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


def _service_state(row: Row[Any]) -> ServiceState:
    open_incident = None if row.open_incident_id is None else IncidentId(row.open_incident_id)
    return ServiceState(ServiceId(row.service_id), open_incident)
