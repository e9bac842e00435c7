"""The maintenance use cases: open a window, end one early, list them, store the config's."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.maintenance import (
    InvalidWindow,
    MaintenanceWindow,
    SuppressedAlert,
    WindowId,
    WindowNotFound,
    in_maintenance,
)
from domain.model import Catalog, ServiceId
from domain.ports import Clock, UnitOfWorkFactory, WakeUps

MAX_LISTED = 500


@dataclass(frozen=True)
class WindowPlan:
    """A window as someone asks for it: `starts_at` None means now; `ends_at` or `duration`, one of."""

    services: tuple[str, ...]
    reason: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: timedelta | None = None


@dataclass(frozen=True)
class MaintenanceView:
    """The windows not over yet, the services in maintenance now and the alerts they keep."""

    windows: tuple[MaintenanceWindow, ...]
    quiet: frozenset[ServiceId]
    suppressed: tuple[SuppressedAlert, ...]  # the oldest, up to the listing's limit
    kept: Mapping[ServiceId, int]  # how many alerts each service keeps, all counted
    at: datetime  # when it was read


@dataclass(frozen=True)
class MaintenanceCounts:
    active_windows: int
    suppressed_alerts: int


class Maintenance:
    """Windows are rows; their end is a deadline the engine's `MaintenanceEnds` job keeps."""

    def __init__(self, catalog: Catalog, uow: UnitOfWorkFactory, clock: Clock, wakeups: WakeUps) -> None:
        self._catalog = catalog
        self._uow = uow
        self._clock = clock
        self._wakeups = wakeups

    def start(self, plan: WindowPlan, by: str) -> MaintenanceWindow:
        """Open a window for services of the config, by a person of the config. Raises UnknownService,
        UnknownPerson, or InvalidWindow (no end, both an end and a duration, an end not after the start,
        or one already past)."""
        person = self._catalog.person(by)
        services = tuple(sorted({self._catalog.service(s).id for s in plan.services}))
        now = self._clock.now()
        starts = plan.starts_at or now
        window = MaintenanceWindow(
            WindowId(0), services, starts, _end(plan, starts), plan.reason, created_by=person.id
        )
        if window.ends_at <= now:
            raise InvalidWindow("the window would be over already: its end is not after now")
        with self._uow() as uow:
            stored = uow.windows.add(window)
            uow.commit()
        self._wakeups.at(stored.ends_at)
        return stored

    def end(self, window_id: WindowId, by: str | None = None) -> MaintenanceWindow:
        """End the window now (one yet to start never starts); its kept alerts page at once. A window
        already over is returned as it is. Raises WindowNotFound, or UnknownPerson for `by`."""
        if by is not None:
            self._catalog.person(by)
        now = self._clock.now()
        with self._uow() as uow:
            window = uow.windows.get(window_id)
            if window is None:
                raise WindowNotFound(window_id)
            ended = window.ended_early(now)
            if ended != window:
                uow.windows.save(ended)
                uow.commit()
        if ended != window:
            self._wakeups.at(now)
        return ended

    def declare(self, windows: Sequence[MaintenanceWindow]) -> int:
        """Store the config's windows, each once across restarts and replicas (known by its services and
        times); returns how many were new."""
        with self._uow() as uow:
            added = [w for w in windows if uow.windows.declare(w, config_key(w))]
            uow.commit()
        for window in added:
            self._wakeups.at(window.ends_at)
        return len(added)

    def view(self, limit: int = MAX_LISTED) -> MaintenanceView:
        """Windows under way or to come (soonest first), who is quiet now, and what is kept."""
        now = self._clock.now()
        with self._uow() as uow:
            windows = uow.windows.not_ended(now, limit)
            quiet = in_maintenance(uow.windows.active(now), now)
            suppressed = uow.suppressed.pending(limit=limit)
            kept = uow.suppressed.pending_counts()
        return MaintenanceView(tuple(windows), frozenset(quiet), tuple(suppressed), kept, now)

    def counts(self) -> MaintenanceCounts:
        """How many windows are under way now and how many alerts they keep, for the gauges."""
        now = self._clock.now()
        with self._uow() as uow:
            kept = sum(uow.suppressed.pending_counts().values())
            return MaintenanceCounts(len(uow.windows.active(now)), kept)

    def get(self, window_id: WindowId) -> MaintenanceWindow:
        with self._uow() as uow:
            window = uow.windows.get(window_id)
        if window is None:
            raise WindowNotFound(window_id)
        return window


def _end(plan: WindowPlan, starts: datetime) -> datetime:
    if (plan.ends_at is None) == (plan.duration is None):
        raise InvalidWindow("say when the window ends: `to` or `duration`, one of them")
    return plan.ends_at if plan.ends_at is not None else starts + (plan.duration or timedelta(0))


def config_key(window: MaintenanceWindow) -> str:
    """The identity of a config entry: its services and times (its reason may be reworded)."""
    text = "|".join([",".join(window.services), window.starts_at.isoformat(), window.ends_at.isoformat()])
    return f"config:{hashlib.sha256(text.encode()).hexdigest()[:40]}"
