"""Alerts as monitors report them, and how a monitor's late retry of an episode already over is told apart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.model import IncidentId


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    """One alert as a monitor reported it, already validated."""

    summary: str
    status: AlertStatus = AlertStatus.FIRING
    dedup_key: str | None = None
    severity: str | None = None
    source: str = "generic"
    details: Mapping[str, object] = field(default_factory=dict)
    # The monitor's own times for the episode (Alertmanager's startsAt and endsAt), when it says them.
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def is_stale(self, latest: AlertEpisode | None, now: datetime) -> bool:
        """Is this a monitor's late retry of an episode already over? Firing, it started no later than the
        latest episode ended, and came within LATE_RETRY_WINDOW of that resolution; resolved, it ended
        before the latest one started, or no later than it ended. Without the times, it is not stale."""
        if latest is None or self.dedup_key is None:
            return False
        if self.status is AlertStatus.FIRING:
            if latest.firing or latest.resolved_at is None or now - latest.resolved_at > LATE_RETRY_WINDOW:
                return False
            return _at_or_before(self.starts_at, latest.ends_at)
        if latest.firing:
            return _at_or_before(self.ends_at, latest.starts_at, strictly=True)
        return _at_or_before(self.ends_at, latest.ends_at)


@dataclass(frozen=True)
class AlertEpisode:
    """The latest episode of an alert (by dedup key) on a service: firing, or resolved and when."""

    incident_id: IncidentId
    firing: bool
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    resolved_at: datetime | None = None  # when the pager learned it ended


# A firing alert as old as an episode already resolved is dropped only this soon after the resolution:
# monitors retry a notification within minutes (Alertmanager until its next group_interval, 5m by
# default). Later, the same start is a real new firing (Prometheus sending an alert again with its old
# start after the link to Alertmanager was down longer than the alert's endsAt): it must page.
LATE_RETRY_WINDOW = timedelta(minutes=5)


def _at_or_before(first: datetime | None, second: datetime | None, strictly: bool = False) -> bool:
    if first is None or second is None:
        return False
    return first < second if strictly else first <= second
