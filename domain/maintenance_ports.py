"""The ports that keep maintenance windows and the alerts they suppressed (see `ports` for the conventions:
"raises store errors", writes surfacing at the commit at the latest)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.alerts import Alert
from domain.maintenance import MaintenanceWindow, SuppressedAlert, WindowId
from domain.model import IncidentId, ServiceId


class MaintenanceWindows(Protocol):
    """Every maintenance window, those the config declares and those people opened, ended or not."""

    def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        """Store a new window (its `id` is ignored); returns it with the id it got. Raises store errors.
        Not idempotent: each call stores one more window."""
        ...

    def declare(self, window: MaintenanceWindow, key: str) -> bool:
        """Store the window unless one was already stored under `key` (a config entry's identity, so a
        restart or another replica declares it once). True when it was stored now. Raises store errors.
        Safe to repeat."""
        ...

    def get(self, window_id: WindowId) -> MaintenanceWindow | None:
        """The window, or None. A read (raises store errors): safe to retry."""
        ...

    def save(self, window: MaintenanceWindow) -> None:
        """Write the window's times and whether its end was handled. Raises store errors, maybe later.
        Saving the same window again changes nothing."""
        ...

    def active(self, at: datetime) -> list[MaintenanceWindow]:
        """The windows with `starts_at <= at < ends_at`, by id. A read (raises store errors): safe to
        retry."""
        ...

    def not_ended(self, at: datetime, limit: int) -> list[MaintenanceWindow]:
        """Up to `limit` windows whose end is after `at` (under way or to come), soonest start first. A
        read (raises store errors): safe to retry."""
        ...

    def ended_unhandled(self, at: datetime, limit: int) -> list[MaintenanceWindow]:
        """Up to `limit` windows ended at or before `at` whose end is not handled yet, oldest end first. A
        read (raises store errors): safe to retry."""
        ...

    def pending_ends(self) -> list[datetime]:
        """The end of every window whose end is not handled yet. A read (raises store errors): safe to
        retry."""
        ...


class SuppressedAlerts(Protocol):
    """Alerts that fired while their service was in maintenance, by service and dedup key, until they
    resolve or their window ends ("pending": firing and not yet released to an incident)."""

    def record(self, service_id: ServiceId, alert: Alert, at: datetime) -> None:
        """Keep a firing alert: a key already pending on the service is counted (its summary kept, its
        start the later one), not duplicated; `None` is a key of its own. The caller holds the service's
        lock. Raises store errors, maybe later. Not idempotent: recording again counts again."""
        ...

    def resolve(self, service_id: ServiceId, dedup_key: str | None, at: datetime) -> int:
        """Mark the pending alert with that key resolved (with no key, every pending alert of the
        service); returns how many were. The caller holds the service's lock. Raises store errors.
        Safe to repeat: the second call finds nothing pending."""
        ...

    def pending(
        self, service_ids: Sequence[ServiceId] | None = None, limit: int | None = None
    ) -> list[SuppressedAlert]:
        """The pending alerts of those services (of every service with None), oldest first, at most
        `limit` of them if given. A read (raises store errors): safe to retry."""
        ...

    def pending_counts(self) -> dict[ServiceId, int]:
        """How many alerts are pending on each service that has some. A read (raises store errors):
        safe to retry."""
        ...

    def release(self, service_id: ServiceId, incident_id: IncidentId, at: datetime) -> None:
        """Mark every pending alert of the service as handed to `incident_id`: it pages no more. The
        caller holds the service's lock. Raises store errors, maybe later. Safe to repeat."""
        ...
