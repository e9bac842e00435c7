"""The heartbeats' state in SQL: one row per heartbeat name, written at once (there are few)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from adapters.db.repositories import insert_ignoring_duplicates
from adapters.db.tables import heartbeats
from domain.heartbeat_model import HeartbeatRecord, HeartbeatState

_OK = HeartbeatState.OK.value


class SqlHeartbeatRepository:
    """Implements `HeartbeatRepository` on the unit of work's connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def register(self, records: Sequence[HeartbeatRecord]) -> int:
        insert = insert_ignoring_duplicates(self._conn, heartbeats, ["name"])
        # One statement each: a config holds few heartbeats, and each answer says whether it was new.
        statement = insert.returning(heartbeats.c.name)
        return sum(len(self._conn.execute(statement.values(_values(r))).all()) for r in records)

    def get_many(self, names: Sequence[str]) -> dict[str, HeartbeatRecord]:
        if not names:
            return {}
        rows = self._conn.execute(select(heartbeats).where(heartbeats.c.name.in_(list(names))))
        return {row.name: _record(row) for row in rows}

    def save(self, record: HeartbeatRecord) -> None:
        values = _values(record)
        del values["name"]
        self._conn.execute(update(heartbeats).where(heartbeats.c.name == record.name).values(values))

    def overdue(self, names: Sequence[str], now: datetime, limit: int) -> list[str]:
        if not names:
            return []
        query = (
            select(heartbeats.c.name)
            .where(
                heartbeats.c.state == _OK, heartbeats.c.deadline <= now, heartbeats.c.name.in_(list(names))
            )
            .order_by(heartbeats.c.deadline, heartbeats.c.name)
            .limit(limit)
        )
        return list(self._conn.scalars(query))

    def pending_deadlines(self, names: Sequence[str]) -> list[datetime]:
        if not names:
            return []
        query = select(heartbeats.c.deadline).where(
            heartbeats.c.state == _OK, heartbeats.c.deadline.is_not(None), heartbeats.c.name.in_(list(names))
        )
        return [at for at in self._conn.scalars(query) if at is not None]


def _values(record: HeartbeatRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "state": record.state.value,
        "since": record.since,
        "deadline": record.deadline,
        "last_ping_at": record.last_ping_at,
        "paused_by": record.paused_by,
    }


def _record(row: Row[Any]) -> HeartbeatRecord:
    return HeartbeatRecord(
        name=row.name,
        state=HeartbeatState(row.state),
        since=row.since,
        deadline=row.deadline,
        last_ping_at=row.last_ping_at,
        paused_by=row.paused_by,
    )
