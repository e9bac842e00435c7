"""The SQL alert repository: each incident's distinct alerts, counted per dedup key.

Alerts recorded in a unit of work are kept until its next read or its commit, then counted in one
executemany for keys already firing and inserted in one for new keys (see `repositories`); resolutions
are kept likewise and written after them, in one executemany.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, func, select, update

from adapters.db.tables import alerts
from domain.model import Alert, IncidentId


class SqlAlertRepository:
    def __init__(self, conn: Connection, before_write: Callable[[], None]) -> None:
        self._conn = conn
        self._before_write = before_write  # writes what the rows refer to (new incidents)
        self._unrecorded: dict[tuple[IncidentId, str | None], list[datetime]] = {}
        self._unresolved: list[dict[str, object]] = []
        self._resolving: set[IncidentId] = set()  # the incidents of `_unresolved`

    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        """Kept until `flush`: repeats of one key in one unit of work are counted in one statement."""
        if incident_id in self._resolving:
            self.flush()  # the incident's resolution came first, and must be written first
        self._unrecorded.setdefault((incident_id, alert.dedup_key), []).append(at)

    def resolve(self, incident_id: IncidentId, dedup_key: str | None, at: datetime) -> None:
        """Kept until `flush`, after the alerts recorded before it."""
        self._unresolved.append({"b_incident": incident_id, "b_key": dedup_key, "b_at": at})
        self._resolving.add(incident_id)

    def flush(self) -> None:
        if self._unrecorded or self._unresolved:
            self._before_write()
        self._flush_recorded()
        if self._unresolved:
            rows, self._unresolved, self._resolving = self._unresolved, [], set()
            if keyed := [row for row in rows if row["b_key"] is not None]:
                self._conn.execute(_RESOLVE_ALERT, keyed)
            if every := [row for row in rows if row["b_key"] is None]:
                self._conn.execute(_RESOLVE_EVERY_ALERT, every)

    def _flush_recorded(self) -> None:
        """Count every recorded alert whose key fires already, in one executemany; insert the rest."""
        if not self._unrecorded:
            return
        unrecorded, self._unrecorded = self._unrecorded, {}
        firing = self._firing_keys(unrecorded)
        counted = [_counted(i, k, times) for (i, k), times in unrecorded.items() if (i, k) in firing]
        named = [row for row in counted if row["b_key"] is not None]
        if named:
            self._conn.execute(_COUNT_ALERT, named)
        if unnamed := [row for row in counted if row["b_key"] is None]:
            self._conn.execute(_COUNT_UNNAMED_ALERT, unnamed)
        new = [_new_alert(i, k, times) for (i, k), times in unrecorded.items() if (i, k) not in firing]
        if new:
            self._conn.execute(alerts.insert(), new)

    def _firing_keys(
        self, wanted: dict[tuple[IncidentId, str | None], list[datetime]]
    ) -> set[tuple[IncidentId, str | None]]:
        keys = {k for _, k in wanted if k is not None}
        same_key: ColumnElement[bool] = alerts.c.dedup_key.in_(keys)
        if any(k is None for _, k in wanted):
            same_key = same_key | alerts.c.dedup_key.is_(None)
        query = select(alerts.c.incident_id, alerts.c.dedup_key).where(
            alerts.c.incident_id.in_({i for i, _ in wanted}), alerts.c.firing, same_key
        )
        return {(IncidentId(r.incident_id), r.dedup_key) for r in self._conn.execute(query)} & set(wanted)

    def firing_count(self, incident_id: IncidentId) -> int:
        self.flush()
        query = select(func.count()).where(alerts.c.incident_id == incident_id, alerts.c.firing)
        return int(self._conn.execute(query).scalar_one())

    def is_firing(self, incident_id: IncidentId, dedup_key: str) -> bool:
        self.flush()
        query = select(alerts.c.id).where(
            alerts.c.incident_id == incident_id, alerts.c.firing, alerts.c.dedup_key == dedup_key
        )
        return self._conn.execute(query.limit(1)).first() is not None


def _alert_counter(key: ColumnElement[bool]) -> Any:
    return (
        update(alerts)
        .where(alerts.c.incident_id == bindparam("b_incident"), alerts.c.firing, key)
        .values(count=alerts.c.count + bindparam("b_count"), last_at=bindparam("b_last"))
    )


_RESOLVE_EVERY_ALERT = (
    update(alerts)
    .where(alerts.c.incident_id == bindparam("b_incident"), alerts.c.firing)
    .values(firing=False, last_at=bindparam("b_at"))
)
_RESOLVE_ALERT = _RESOLVE_EVERY_ALERT.where(alerts.c.dedup_key == bindparam("b_key"))
_COUNT_ALERT = _alert_counter(alerts.c.dedup_key == bindparam("b_key"))
_COUNT_UNNAMED_ALERT = _alert_counter(alerts.c.dedup_key.is_(None))


def _counted(incident_id: IncidentId, key: str | None, times: list[datetime]) -> dict[str, object]:
    return {"b_incident": incident_id, "b_key": key, "b_count": len(times), "b_last": max(times)}


def _new_alert(incident_id: IncidentId, key: str | None, times: list[datetime]) -> dict[str, object]:
    return {
        "incident_id": incident_id,
        "dedup_key": key,
        "firing": True,
        "count": len(times),
        "first_at": min(times),
        "last_at": max(times),
    }
