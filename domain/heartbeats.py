"""Heartbeats: pings, pause and resume, and the engine's job that opens an incident when a ping is late.

A late heartbeat is an alert like any other (dedup key `heartbeat:<name>`, source `heartbeat`), applied
through the pager's alert path in the same unit of work that marks the heartbeat overdue: it opens an
incident and pages, or joins the service's open one. The next ping resolves that alert, which resolves
the incident if nothing else fires on it. Each change holds the lock of the heartbeat's service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.alerts import Alert, AlertStatus
from domain.errors import HeartbeatNotFound
from domain.heartbeat_model import HEARTBEAT_SOURCE, HeartbeatCheck, HeartbeatRecord, HeartbeatState
from domain.model import Catalog, ServiceId
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory, WakeUps

if TYPE_CHECKING:
    from domain.pager import AppliedAlerts


class AlertPath(Protocol):
    """The pager's alert path, inside a unit of work of the caller's (`domain.pager.Pager`)."""

    def apply_alert_groups(
        self, uow: UnitOfWork, groups: Sequence[tuple[str, Sequence[Alert]]], now: datetime
    ) -> AppliedAlerts: ...

    def announce(self, applied: AppliedAlerts) -> None: ...


@dataclass(frozen=True)
class HeartbeatView:
    """A configured heartbeat as people see it: `record` is None until the pager first stored it."""

    check: HeartbeatCheck
    state: HeartbeatState
    record: HeartbeatRecord | None


class Heartbeats:
    """The heartbeats' use cases, and the engine's job for their deadlines (leader only, in batches)."""

    name = "heartbeat expiries"

    def __init__(
        self, catalog: Catalog, uow: UnitOfWorkFactory, clock: Clock, wakeups: WakeUps, alerts: AlertPath
    ) -> None:
        self._checks = dict(catalog.heartbeats)
        self._uow = uow
        self._clock = clock
        self._wakeups = wakeups
        self._alerts = alerts
        self._registered = False

    def register(self) -> int:
        """Store every configured heartbeat the pager has not seen before, its clock starting now.
        Returns how many were new. Safe to repeat, from every replica."""
        now = self._clock.now()
        with self._uow() as uow:
            added = uow.heartbeats.register(
                [HeartbeatRecord.first_seen(c, now) for c in self._checks.values()]
            )
            uow.commit()
        self._registered = True
        return added

    def run_due(self) -> int:
        """Open an incident for every heartbeat whose deadline passed, 200 per unit of work."""
        if not self._checks:
            return 0
        self._register_once()
        found = 0
        while (count := self._expire_batch(200)) > 0:
            found += count
            if count < 200:
                break
        return found

    def deadlines(self) -> list[datetime]:
        self._register_once()
        with self._uow() as uow:
            return uow.heartbeats.pending_deadlines(sorted(self._checks))

    def on_ping(self, name: str, service_id: str) -> HeartbeatRecord:
        """A ping for heartbeat `name`, authenticated as `service_id`: its clock starts again and the
        alert it fired, if any, resolves. HeartbeatNotFound for a name that is not a heartbeat of that
        service."""
        check = self._check(name)
        if check.service != service_id:
            raise HeartbeatNotFound(name)
        return self._change(check, lambda record, now: record.pinged(check, now), resolve=True)

    def pause(self, name: str, by: str) -> HeartbeatRecord:
        """Stop watching heartbeat `name` until resumed; pausing again is a no-op. An incident it already
        opened stays open."""
        return self._change(self._check(name), lambda record, now: record.pause(by, now))

    def resume(self, name: str) -> HeartbeatRecord:
        """Watch heartbeat `name` again, its clock starting now; resuming one not paused is a no-op."""
        check = self._check(name)
        return self._change(check, lambda record, now: record.resume(check, now))

    def views(self) -> list[HeartbeatView]:
        """Every configured heartbeat by name, with its state now."""
        now = self._clock.now()
        with self._uow() as uow:
            records = uow.heartbeats.get_many(sorted(self._checks))
        views = []
        for name, check in sorted(self._checks.items()):
            record = records.get(name)
            state = record.state_at(now) if record else HeartbeatState.OK
            views.append(HeartbeatView(check, state, record))
        return views

    def counts(self) -> dict[HeartbeatState, int]:
        """How many configured heartbeats are in each state now (every state present), for the gauges."""
        counts = dict.fromkeys(HeartbeatState, 0)
        for view in self.views():
            counts[view.state] += 1
        return counts

    def _check(self, name: str) -> HeartbeatCheck:
        try:
            return self._checks[name]
        except KeyError:
            raise HeartbeatNotFound(name) from None

    def _register_once(self) -> None:
        if not self._registered:
            self.register()

    def _change(self, check: HeartbeatCheck, change: Change, resolve: bool = False) -> HeartbeatRecord:
        now = self._clock.now()
        applied = None
        with self._uow() as uow:
            record = _locked(uow, check, now)
            changed = change(record, now)
            if resolve and _firing(uow, check):
                groups = [(check.service, [_resolved(check)])]
                applied = self._alerts.apply_alert_groups(uow, groups, now)
            if changed or applied is not None:
                uow.heartbeats.save(record)
                uow.commit()
        if record.deadline is not None:
            self._wakeups.at(record.deadline)
        if applied is not None:
            self._alerts.announce(applied)
        return record

    def _expire_batch(self, batch: int) -> int:
        now = self._clock.now()
        with self._uow() as uow:
            due = uow.heartbeats.overdue(sorted(self._checks), now, batch)
            if not due:
                return 0
            uow.services.lock_all([self._checks[name].service for name in due])
            records = uow.heartbeats.get_many(due)  # read again, now that no change can interleave
            expired = [records[name] for name in due if name in records and records[name].is_due(now)]
            for record in expired:
                record.expire(now)
                uow.heartbeats.save(record)
            groups = [(self._checks[r.name].service, [_fired(self._checks[r.name], r)]) for r in expired]
            applied = self._alerts.apply_alert_groups(uow, groups, now)
            uow.commit()
        self._alerts.announce(applied)
        return len(due)


class Change(Protocol):
    def __call__(self, record: HeartbeatRecord, now: datetime) -> bool: ...


def _locked(uow: UnitOfWork, check: HeartbeatCheck, now: datetime) -> HeartbeatRecord:
    """The heartbeat's record, read under its service's lock (stored first if the pager never saw it)."""
    uow.services.lock(check.service)
    uow.heartbeats.register([HeartbeatRecord.first_seen(check, now)])
    return uow.heartbeats.get_many([check.name])[check.name]


def _firing(uow: UnitOfWork, check: HeartbeatCheck) -> bool:
    """Is the heartbeat's alert firing on its service's open incident? (The caller holds the lock.)"""
    state = uow.services.lock(ServiceId(check.service))
    return state.open_incident is not None and uow.alerts.is_firing(state.open_incident, check.dedup_key)


def _fired(check: HeartbeatCheck, record: HeartbeatRecord) -> Alert:
    last = record.last_ping_at.isoformat() if record.last_ping_at else None
    details = {"heartbeat": check.name, "last_ping_at": last, "interval": str(check.interval)}
    return Alert(check.summary, dedup_key=check.dedup_key, source=HEARTBEAT_SOURCE, details=details)


def _resolved(check: HeartbeatCheck) -> Alert:
    return Alert(
        check.summary, status=AlertStatus.RESOLVED, dedup_key=check.dedup_key, source=HEARTBEAT_SOURCE
    )
