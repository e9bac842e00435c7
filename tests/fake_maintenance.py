"""In-memory maintenance windows and suppressed alerts, held to the SQL ones by the repository contract."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.alerts import Alert
from domain.maintenance import MaintenanceWindow, SuppressedAlert, WindowId
from domain.model import IncidentId, ServiceId


@dataclass
class _SuppressedRow:
    alert: SuppressedAlert
    firing: bool = True
    released: bool = False

    @property
    def pending(self) -> bool:
        return self.firing and not self.released


@dataclass
class MaintenanceData:
    windows: dict[WindowId, MaintenanceWindow] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    suppressed: list[_SuppressedRow] = field(default_factory=list)


class MemoryWindows:
    def __init__(self, data: MaintenanceData) -> None:
        self.d = data

    def add(self, window: MaintenanceWindow) -> MaintenanceWindow:
        stored = replace(window, id=WindowId(len(self.d.windows) + 1))
        self.d.windows[stored.id] = stored
        return stored

    def declare(self, window: MaintenanceWindow, key: str) -> bool:
        if key in self.d.keys:
            return False
        self.d.keys.add(key)
        self.add(window)
        return True

    def get(self, window_id: WindowId) -> MaintenanceWindow | None:
        return self.d.windows.get(window_id)

    def save(self, window: MaintenanceWindow) -> None:
        if window.id in self.d.windows:
            self.d.windows[window.id] = window

    def active(self, at: datetime) -> list[MaintenanceWindow]:
        return [w for _, w in sorted(self.d.windows.items()) if w.is_active(at)]

    def not_ended(self, at: datetime, limit: int) -> list[MaintenanceWindow]:
        found = [w for w in self.d.windows.values() if w.ends_at > at]
        return sorted(found, key=lambda w: (w.starts_at, w.id))[:limit]

    def ended_unhandled(self, at: datetime, limit: int) -> list[MaintenanceWindow]:
        found = [w for w in self.d.windows.values() if w.ends_at <= at and not w.handled]
        return sorted(found, key=lambda w: (w.ends_at, w.id))[:limit]

    def pending_ends(self) -> list[datetime]:
        return [w.ends_at for w in self.d.windows.values() if not w.handled]


class MemorySuppressedAlerts:
    def __init__(self, data: MaintenanceData) -> None:
        self.d = data

    def record(self, service_id: ServiceId, alert: Alert, at: datetime) -> None:
        for row in self._pending([service_id]):
            if row.alert.dedup_key == alert.dedup_key:
                starts = [t for t in (row.alert.starts_at, alert.starts_at) if t is not None]
                row.alert = replace(
                    row.alert, count=row.alert.count + 1, last_at=at, starts_at=max(starts, default=None)
                )
                return
        kept = SuppressedAlert(
            len(self.d.suppressed) + 1, service_id, alert.dedup_key, alert.summary, alert.severity,
            alert.source, 1, at, at, alert.starts_at,
        )  # fmt: skip
        self.d.suppressed.append(_SuppressedRow(kept))

    def resolve(self, service_id: ServiceId, dedup_key: str | None, at: datetime) -> int:
        rows = [r for r in self._pending([service_id]) if dedup_key is None or r.alert.dedup_key == dedup_key]
        for row in rows:
            row.firing = False
        return len(rows)

    def pending(
        self, service_ids: Sequence[ServiceId] | None = None, limit: int | None = None
    ) -> list[SuppressedAlert]:
        return [row.alert for row in self._pending(service_ids)][:limit]

    def pending_counts(self) -> dict[ServiceId, int]:
        return dict(Counter(row.alert.service_id for row in self._pending(None)))

    def release(self, service_id: ServiceId, incident_id: IncidentId, at: datetime) -> None:
        for row in self._pending([service_id]):
            row.released = True

    def _pending(self, service_ids: Sequence[ServiceId] | None) -> list[_SuppressedRow]:
        return [
            r
            for r in self.d.suppressed
            if r.pending and (service_ids is None or r.alert.service_id in service_ids)
        ]
