"""What maintenance does to alerts: keeps them quiet during a window, and pages them once it is over.

The engine's job releases every suppressed alert still firing whose service is no longer in maintenance:
it opens one incident per service (or joins the one open) and pages level 1, in the unit of work that
marks the alerts released and the ended windows handled, so a restart or a second pass pages nobody twice.
It looks at the alerts, not only at the windows that just ended: an alert suppressed by a unit of work
that read the clock just before a window's end and committed just after it is released on the next pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from domain.alerts import Alert, AlertStatus
from domain.escalation import Aftermath
from domain.maintenance import MaintenanceWindow, SuppressedAlert, in_maintenance
from domain.model import Catalog, Incident, ServiceId, ServiceState
from domain.paging import received
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory

Opener = Callable[[UnitOfWork, ServiceState, Alert, datetime], Incident]


class Suppression:
    """Within one unit of work of alerts: is the service in maintenance, and what a window does to an
    alert for a service with no open incident. The windows are read once, when first needed."""

    def __init__(self, uow: UnitOfWork, now: datetime) -> None:
        self._uow = uow
        self._now = now
        self._quiet: set[ServiceId] | None = None

    def absorbs(self, service_id: ServiceId, alert: Alert) -> bool:
        """Keep a firing alert if its service is in maintenance; mark a suppressed alert resolved (at
        any time: one resolved after its window ended, before the engine's pass, must not page). True
        when the alert was taken so (its outcome is `suppressed`)."""
        if alert.status is AlertStatus.RESOLVED:
            return self._uow.suppressed.resolve(service_id, alert.dedup_key, self._now) > 0
        if self._quiet is None:
            self._quiet = in_maintenance(self._uow.windows.active(self._now), self._now)
        if service_id not in self._quiet:
            return False
        self._uow.suppressed.record(service_id, alert, self._now)
        return True


class MaintenanceEnds:
    """The engine's job for the end of maintenance windows."""

    name = "maintenance ends"

    def __init__(
        self, catalog: Catalog, uow: UnitOfWorkFactory, clock: Clock, after: Aftermath, opener: Opener
    ) -> None:
        self._catalog = catalog
        self._uow = uow
        self._clock = clock
        self._after = after
        self._open = opener

    def run_due(self, batch: int = 100) -> int:
        """Handle the windows that ended and release what they kept, `batch` windows (and services) per
        unit of work. Returns how many windows and services were handled."""
        found = 0
        while True:
            count = self._release_batch(batch)
            found += count
            if count < batch:
                return found

    def deadlines(self) -> list[datetime]:
        with self._uow() as uow:
            return uow.windows.pending_ends()

    def _release_batch(self, batch: int) -> int:
        now = self._clock.now()
        with self._uow() as uow:
            ended = uow.windows.ended_unhandled(now, batch)
            waiting = self._releasable(uow, now, batch)
            if not ended and not waiting:
                return 0
            states = uow.services.lock_all(waiting) if waiting else []
            opened = [i for state in states if (i := self._release(uow, state, now)) is not None]
            for window in ended:
                uow.windows.save(_handled(window))
            uow.commit()
        for incident in opened:
            self._after.paged(incident)
        return max(len(ended), len(waiting))

    def _releasable(self, uow: UnitOfWork, now: datetime, batch: int) -> list[ServiceId]:
        """Up to `batch` configured services with suppressed alerts still firing and no window now."""
        quiet = in_maintenance(uow.windows.active(now), now)
        services = set(uow.suppressed.pending_counts()) - quiet
        return sorted(s for s in services if s in self._catalog.services)[:batch]

    def _release(self, uow: UnitOfWork, state: ServiceState, now: datetime) -> Incident | None:
        """The service's pending alerts (read again under its lock) open an incident paging level 1, or
        join the one open; the incident comes back when it was opened."""
        pending = uow.suppressed.pending([state.service_id])
        if not pending:
            return None
        incident = None if state.open_incident is None else uow.incidents.get(state.open_incident)
        opened = None
        if incident is None:
            incident = opened = self._open(uow, state, pending[0].as_alert(), now)
            pending = pending[1:]
        _join(uow, incident, pending, now)
        uow.suppressed.release(state.service_id, incident.id, now)
        return opened


def _join(uow: UnitOfWork, incident: Incident, alerts: list[SuppressedAlert], now: datetime) -> None:
    for suppressed in alerts:
        alert = suppressed.as_alert()
        incident.record(received(alert, now))
        uow.alerts.record(incident.id, alert, now)
    uow.incidents.save(incident)


def _handled(window: MaintenanceWindow) -> MaintenanceWindow:
    return replace(window, handled=True)
