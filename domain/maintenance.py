"""Maintenance windows: while one covers a service, its alerts are kept, not paged; at the end they page.

A window names services and a span of time. Windows of a service that overlap (or touch) merge: the service
is in maintenance from the first one's start to the last one's end, and what was suppressed pages only then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NewType

from domain.alerts import Alert
from domain.errors import NotFound, PagerError
from domain.model import ServiceId

WindowId = NewType("WindowId", int)
CONFIG_AUTHOR = "config"  # `created_by` of the windows the config file declares


@dataclass(frozen=True)
class MaintenanceWindow:
    """Services kept quiet from `starts_at` (included) to `ends_at` (excluded), and why."""

    id: WindowId
    services: tuple[ServiceId, ...]
    starts_at: datetime
    ends_at: datetime
    reason: str = ""
    created_by: str = CONFIG_AUTHOR
    handled: bool = False  # its end was handled by the engine

    def __post_init__(self) -> None:
        if not self.services:
            raise InvalidWindow("a maintenance window needs at least one service")
        if self.ends_at <= self.starts_at:
            raise InvalidWindow("a maintenance window must end after it starts")

    def is_active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def ended_early(self, now: datetime) -> MaintenanceWindow:
        """The window cut short at `now` (a window yet to start ends before it starts); one already over
        is returned unchanged."""
        if self.ends_at <= now:
            return self
        starts = min(self.starts_at, now - _INSTANT)
        return replace(self, starts_at=starts, ends_at=now, handled=False)


_INSTANT = timedelta(microseconds=1)  # a window ended before it began still spans a moment


@dataclass(frozen=True)
class SuppressedAlert:
    """An alert that fired during its service's maintenance and still waits for the window to end."""

    id: int
    service_id: ServiceId
    dedup_key: str | None
    summary: str
    severity: str | None
    source: str
    count: int
    first_at: datetime
    last_at: datetime
    starts_at: datetime | None = None

    def as_alert(self) -> Alert:
        """The alert to open (or join) an incident with once the window is over."""
        return Alert(
            summary=self.summary,
            dedup_key=self.dedup_key,
            severity=self.severity,
            source=self.source,
            details={"suppressed_since": self.first_at.isoformat(), "count": self.count},
            starts_at=self.starts_at,
        )


def in_maintenance(windows: Iterable[MaintenanceWindow], at: datetime) -> set[ServiceId]:
    """The services some window in `windows` covers at `at`."""
    return {service for window in windows if window.is_active(at) for service in window.services}


class InvalidWindow(PagerError, ValueError):
    """A maintenance window that cannot be: no service, or an end not after its start."""


class WindowNotFound(NotFound):
    def __init__(self, window_id: int) -> None:
        super().__init__(f"maintenance window {window_id} does not exist")
        self.window_id = window_id
