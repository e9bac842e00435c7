"""The SQL alert repository: each incident's distinct alerts, counted per dedup key.

Alerts recorded in a unit of work are kept until its next read or its commit, then counted in one
executemany for keys already firing and inserted in one for new keys (see `repositories`); resolutions
are kept likewise and written after them, in one executemany. The latest episodes of many keys are read
in one statement, each an index probe.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    update,
)

from adapters.db.tables import UtcDateTime, alerts, incidents
from domain.alerts import Alert, AlertEpisode
from domain.model import IncidentId, ServiceId

Times = list[tuple[datetime, datetime | None]]  # when each alert was recorded, and its episode's start


class SqlAlertRepository:
    def __init__(
        self,
        conn: Connection,
        before_write: Callable[[], None],
        opened_here: Callable[[IncidentId], bool] = lambda _: False,
    ) -> None:
        self._conn = conn
        self._before_write = before_write  # writes what the rows refer to (new incidents)
        self._opened_here = opened_here  # incidents this unit of work opened: none of their alerts is stored
        self._written: set[IncidentId] = set()  # incidents this unit of work stored alerts of
        self._unrecorded: dict[tuple[IncidentId, str | None], Times] = {}
        self._firing: set[tuple[IncidentId, str | None]] | None = None  # read ahead for `_unrecorded`
        self._unresolved: list[dict[str, object]] = []
        self._resolving: set[IncidentId] = set()  # the incidents of `_unresolved`

    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        """Kept until `flush`: repeats of one key in one unit of work are counted in one statement."""
        if incident_id in self._resolving:
            self.flush()  # the incident's resolution came first, and must be written first
        self._firing = None
        self._unrecorded.setdefault((incident_id, alert.dedup_key), []).append((at, alert.starts_at))

    def resolve(
        self, incident_id: IncidentId, dedup_key: str | None, at: datetime, ends_at: datetime | None = None
    ) -> None:
        """Kept until `flush`, after the alerts recorded before it."""
        self._unresolved.append(
            {"b_incident": incident_id, "b_key": dedup_key, "b_at": at, "b_ends": ends_at}
        )
        self._resolving.add(incident_id)

    def read_ahead(self) -> None:
        """Read now what `flush` needs to know (which recorded keys fire already), so that it only writes:
        the unit of work sends those writes without waiting for each answer."""
        if self._unrecorded and self._firing is None:
            self._firing = self._firing_keys(self._unrecorded)

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
        self.read_ahead()
        unrecorded, self._unrecorded = self._unrecorded, {}
        firing, self._firing = self._firing or set(), None
        self._written.update(incident for incident, _ in unrecorded)
        counted = [_counted(i, k, times) for (i, k), times in unrecorded.items() if (i, k) in firing]
        named = [row for row in counted if row["b_key"] is not None]
        if named:
            self._conn.execute(_COUNT_ALERT, named)
        if unnamed := [row for row in counted if row["b_key"] is None]:
            self._conn.execute(_COUNT_UNNAMED_ALERT, unnamed)
        new = [_new_alert(i, k, times) for (i, k), times in unrecorded.items() if (i, k) not in firing]
        if new:
            self._conn.execute(_INSERT_ALERT, new)

    def _firing_keys(
        self, recorded: dict[tuple[IncidentId, str | None], Times]
    ) -> set[tuple[IncidentId, str | None]]:
        """Which of the recorded keys fire already; an incident this unit opened has none stored yet
        (unless this unit stored some), so a group of new incidents asks nothing."""
        wanted = {(i, k) for i, k in recorded if i in self._written or not self._opened_here(i)}
        if not wanted:
            return set()
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

    def latest(self, keys: Sequence[tuple[ServiceId, str]]) -> dict[tuple[ServiceId, str], AlertEpisode]:
        """One statement for every key: the keys go as one JSON parameter, so its text never changes."""
        if not keys:
            return {}
        self.flush()
        query = _LATEST[self._conn.dialect.name == "postgresql"]
        rows = self._conn.execute(query, {"b_keys": json.dumps([[s, k] for s, k in keys])})
        return {
            (ServiceId(r.service_id), r.dedup_key): AlertEpisode(
                IncidentId(r.incident_id), r.firing, r.starts_at, r.ends_at, None if r.firing else r.last_at
            )
            for r in rows
        }


def _alert_counter(key: ColumnElement[bool]) -> Any:
    start = bindparam("b_start", type_=UtcDateTime())
    later_start = case(
        (start.is_(None), alerts.c.starts_at),
        (alerts.c.starts_at.is_(None) | (alerts.c.starts_at < start), start),
        else_=alerts.c.starts_at,
    )
    return (
        update(alerts)
        .where(alerts.c.incident_id == bindparam("b_incident"), alerts.c.firing, key)
        .values(
            count=alerts.c.count + bindparam("b_count"), last_at=bindparam("b_last"), starts_at=later_start
        )
    )


def _latest_query(postgresql: bool) -> Any:
    """Each wanted (service, key) joined to its row of highest id: a probe of ix_alerts_service_dedup_key."""
    keys = bindparam("b_keys", type_=String)
    service: ColumnElement[Any]
    key: ColumnElement[Any]
    if postgresql:
        wanted = func.json_array_elements(cast(keys, JSON)).table_valued("value").alias("wanted")
        service, key = (wanted.c.value.op("->>")(literal_column(str(n))) for n in (0, 1))
    else:  # json_extract rather than ->>, which SQLite has only since 3.38
        wanted = func.json_each(keys).table_valued("value").alias("wanted")
        service, key = (func.json_extract(wanted.c.value, literal_column(f"'$[{n}]'")) for n in (0, 1))
    earlier = alerts.alias("earlier")
    latest_id = (
        select(earlier.c.id)
        .where(earlier.c.service_id == service, earlier.c.dedup_key == key)
        .order_by(earlier.c.id.desc())
        .limit(1)
        .correlate(wanted)
        .scalar_subquery()
    )
    columns = ("service_id", "dedup_key", "incident_id", "firing", "starts_at", "ends_at", "last_at")
    return select(*(alerts.c[name] for name in columns)).select_from(
        wanted.join(alerts, alerts.c.id == latest_id)
    )


_LATEST = MappingProxyType({flag: _latest_query(flag) for flag in (False, True)})
_RESOLVE_EVERY_ALERT = (
    update(alerts)
    .where(alerts.c.incident_id == bindparam("b_incident"), alerts.c.firing)
    .values(firing=False, last_at=bindparam("b_at"), ends_at=bindparam("b_ends"))
)
_RESOLVE_ALERT = _RESOLVE_EVERY_ALERT.where(alerts.c.dedup_key == bindparam("b_key"))
_COUNT_ALERT = _alert_counter(alerts.c.dedup_key == bindparam("b_key"))
_COUNT_UNNAMED_ALERT = _alert_counter(alerts.c.dedup_key.is_(None))
# The service is the incident's, read by the insert itself: recording an alert takes only its incident.
_INSERT_ALERT = alerts.insert().values(
    service_id=select(incidents.c.service_id)
    .where(incidents.c.id == bindparam("b_incident"))
    .scalar_subquery()
)


def _counted(incident_id: IncidentId, key: str | None, times: Times) -> dict[str, object]:
    return {
        "b_incident": incident_id,
        "b_key": key,
        "b_count": len(times),
        "b_last": max(at for at, _ in times),
        "b_start": _latest_start(times),
    }


def _new_alert(incident_id: IncidentId, key: str | None, times: Times) -> dict[str, object]:
    return {
        "incident_id": incident_id,
        "b_incident": incident_id,
        "dedup_key": key,
        "firing": True,
        "count": len(times),
        "first_at": min(at for at, _ in times),
        "last_at": max(at for at, _ in times),
        "starts_at": _latest_start(times),
    }


def _latest_start(times: Times) -> datetime | None:
    return max((start for _, start in times if start is not None), default=None)
