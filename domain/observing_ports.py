"""The ports through which the pager is watched: chat cards that mirror incidents, and operators' metrics."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Protocol

from domain.model import Channel, Incident


class IncidentObserver(Protocol):
    """Hears of each committed change of an incident's state, to mirror it elsewhere (chat cards)."""

    def incident_changed(self, incident: Incident) -> None:
        """Called after commit when the incident was acknowledged, resolved, escalated to another level
        or ran out of levels; `incident` is its new state. Must not raise: the change is already made.
        A process dying just before the call loses that one notice (the incident itself is safe), and
        nobody calls again. Not idempotent: each call is one notice (a chat thread gets one reply each)."""
        ...


class NotificationOutcome(StrEnum):
    """What became of one attempt to deliver a page."""

    SENT = "sent"
    FAILED_TEMPORARILY = "failed_temporarily"  # retried with backoff
    FAILED_PERMANENTLY = "failed_permanently"  # nobody's next contact method to try
    FELL_THROUGH = "fell_through"  # failed for good; the person's next contact method is paged


class PagerMetrics(Protocol):
    """What the pager counts and times for its operators; an adapter exports it (Prometheus, say).

    Each call reports a change already committed. Must not raise, and must be cheap: it runs on the
    threads that take alerts and send pages. Each call counts once more, so none is repeated; a count
    lost in a crash is not made up.
    """

    def alert_applied(self, source: str, result: str) -> None:
        """An alert from `source` (generic, alertmanager, grafana, pagerduty) was applied with `result`
        (opened, appended, resolved, ignored)."""
        ...

    def escalated(self, late_by: timedelta) -> None:
        """A deadline passed unacknowledged and the next level or round was paged `late_by` after it."""
        ...

    def acknowledged(self, after: timedelta) -> None:
        """An incident was acknowledged `after` it opened."""
        ...

    def notified(self, channel: Channel, outcome: NotificationOutcome) -> None:
        """One page (one message to one address) was attempted on `channel` with `outcome`."""
        ...


class NoMetrics:
    """PagerMetrics that records nothing, for a pager nobody watches."""

    def alert_applied(self, source: str, result: str) -> None:
        pass

    def escalated(self, late_by: timedelta) -> None:
        pass

    def acknowledged(self, after: timedelta) -> None:
        pass

    def notified(self, channel: Channel, outcome: NotificationOutcome) -> None:
        pass
