"""The pager's ports: what it needs from the outside world, as narrow protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from domain.events import Event
from domain.model import (
    Alert,
    AlertEpisode,
    Channel,
    Incident,
    IncidentId,
    IncidentState,
    ServiceId,
    ServiceState,
    Step,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


@dataclass(frozen=True)
class OutboxMessage:
    """One notification owed to one address for one step of one incident.

    (incident_id, level, round, channel, address) is unique: the same step never notifies an
    address twice, however often it is recorded.
    """

    incident_id: IncidentId
    service_id: ServiceId
    summary: str
    level: int
    round: int
    channel: Channel
    address: str
    target: str
    created_at: datetime


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    message: OutboxMessage
    attempts: int


@dataclass(frozen=True)
class Batch:
    """Every claimed message for one address: they leave as one page."""

    channel: Channel
    address: str
    messages: tuple[ClaimedMessage, ...]


class ServiceStateRepository(Protocol):
    def lock(self, service_id: ServiceId) -> ServiceState:
        """The service's state, locked until the unit of work ends (created healthy if new)."""
        ...

    def lock_all(self, service_ids: Sequence[ServiceId]) -> list[ServiceState]:
        """`lock` for several services at once, in id order (so two callers never wait on each other
        in a cycle); one state per distinct id, in id order."""
        ...

    def save(self, state: ServiceState) -> None: ...

    def list(self) -> list[ServiceState]:
        """Every service that has a stored state, in id order. No lock."""
        ...


class IncidentRepository(Protocol):
    def reserve(self, count: int) -> None:
        """A hint: about `count` incidents will be added in this unit of work (the adapter may fetch
        their ids in one go)."""
        ...

    def add(self, incident: Incident) -> None:
        """Store a new incident, assign its id, and persist its pending events."""
        ...

    def get(self, incident_id: IncidentId) -> Incident | None:
        """The incident, or None. Callers that will change it hold its service's lock first."""
        ...

    def get_many(self, incident_ids: Sequence[IncidentId]) -> dict[IncidentId, Incident]:
        """`get` for several incidents at once; unknown ids are left out."""
        ...

    def save(self, incident: Incident) -> None:
        """Persist the incident's state and append its pending events to the timeline."""
        ...

    def overdue(self, now: datetime, limit: int) -> list[tuple[IncidentId, Step]]:
        """Triggered incidents whose ack deadline is at or before `now`, oldest deadline first."""
        ...

    def pending_deadlines(self) -> list[tuple[IncidentId, Step, datetime]]:
        """Every triggered incident still waiting for an ack, with its deadline."""
        ...

    def list(
        self, states: Sequence[IncidentState], limit: int = 100, before: IncidentId | None = None
    ) -> list[Incident]:
        """Incidents in the given states, newest first; with `before`, only those of a smaller id."""
        ...


class AlertRepository(Protocol):
    """The distinct alerts (by dedup key) an incident has gathered, firing or resolved."""

    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        """Note a firing alert; a dedup key already firing on the incident is counted, not duplicated,
        its episode's start becoming the later of the two."""
        ...

    def resolve(
        self, incident_id: IncidentId, dedup_key: str | None, at: datetime, ends_at: datetime | None = None
    ) -> None:
        """Mark the alert with that key resolved, its episode ended at `ends_at` (the monitor's time, if
        it said one); with no key, every alert of the incident."""
        ...

    def latest(self, keys: Sequence[tuple[ServiceId, str]]) -> dict[tuple[ServiceId, str], AlertEpisode]:
        """The latest episode of each (service, dedup key), across resolved incidents too; keys never
        seen are left out. A read; safe to retry."""
        ...

    def firing_count(self, incident_id: IncidentId) -> int: ...

    def is_firing(self, incident_id: IncidentId, dedup_key: str) -> bool:
        """Whether the incident has a firing (not yet resolved) alert with that key. A read; safe to retry."""
        ...


class Timeline(Protocol):
    def append(self, incident_id: IncidentId, event: Event) -> None: ...

    def of(self, incident_id: IncidentId) -> list[Event]:
        """The incident's events in the order they were recorded."""
        ...


class Outbox(Protocol):
    def add(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue messages; one whose unique key is already queued is skipped. Returns how many were new."""
        ...

    def put(self, messages: Sequence[OutboxMessage]) -> None:
        """`add`, written with the unit of work's other writes (at its commit, or before the outbox is
        next read), for callers that need no count back: many incidents' pages cost one statement."""
        ...

    def cancel(self, incident_id: IncidentId) -> None:
        """Drop the incident's messages not sent yet, in a sender's hands included: a failure of
        one of those is then final, never retried after the ack. Written with the unit of work's
        other writes, after the messages it put."""
        ...

    def claim(
        self, now: datetime, bundle_window_s: float, lease_until: datetime, channel: Channel | None = None
    ) -> list[Batch]:
        """Claim what is due, grouped by address, until `lease_until` (on `channel` only, if given).

        An address is due when its oldest pending message is `bundle_window_s` old; then all its
        pending messages are claimed together. Messages whose lease ran out (a sender that died)
        are pending again. Safe to call from several processes at once: nothing is claimed twice.
        `lease_until` is also the claim's token: a later claim of the same rows has another one.
        """
        ...

    def renew(self, ids: Sequence[int], lease: datetime, until: datetime) -> list[int]:
        """Extend to `until` the lease of those messages still held under `lease` (neither re-claimed
        after it ran out nor cancelled). Returns their ids: only those may be sent."""
        ...

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        """Record that the provider accepted the messages, whoever holds them now: they were sent, so
        nobody may send them again (a lapsed lease notwithstanding)."""
        ...

    def mark_failed(self, ids: Sequence[int], reason: str, retry_at: datetime | None, lease: datetime) -> int:
        """Record a failed attempt of messages claimed under `lease`: retry at `retry_at`, or give up
        for good when it is None. Messages cancelled or re-claimed meanwhile are left alone.
        Returns how many were recorded."""
        ...

    def mark_fell_through(self, ids: Sequence[int], at: datetime) -> list[int]:
        """Record that these messages, still undelivered at their delivery deadline, fell through to
        the person's next contact method. Returns the ids not marked before: only those may fall
        through, so each message does so once however often it fails. They stay queued for retry."""
        ...

    def next_due(self, bundle_window_s: float, channel: Channel | None = None) -> datetime | None:
        """When the next claim (on `channel`, if given) could find something: a bundle window ending,
        a retry falling due or a lease running out. None: nothing is waiting."""
        ...

    def reaching(self, incident_id: IncidentId, level: int, round: int) -> bool:
        """Whether some message of that step is still waiting, in flight or was sent."""
        ...

    def backlog(self) -> int:
        """How many messages are waiting to be sent."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything done through it commits together or not at all.

    Leaving the `with` block without `commit()` rolls back.
    """

    services: ServiceStateRepository
    incidents: IncidentRepository
    alerts: AlertRepository
    timeline: Timeline
    outbox: Outbox

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class AckTimer(Protocol):
    """Wakes the pager when an acknowledgement deadline passes.

    Only a wake-up: the deadline itself lives on the incident, and a sweep catches any wake-up
    that was lost. Calls are made after the state change committed; both are safe to repeat.
    """

    def schedule(self, incident_id: IncidentId, step: Step, at: datetime) -> None:
        """Call `Pager.on_ack_timeout(incident_id, step)` at `at`, replacing any earlier schedule."""
        ...

    def cancel(self, incident_id: IncidentId) -> None:
        """Forget the incident's wake-up, if any."""
        ...


@dataclass(frozen=True)
class PageItem:
    incident_id: IncidentId
    service_id: ServiceId
    service_name: str
    summary: str
    level: int
    round: int


@dataclass(frozen=True)
class Page:
    """One message to one address, listing every incident it pages for."""

    channel: Channel
    address: str
    items: tuple[PageItem, ...]


class Notifier(Protocol):
    """Delivers pages on one channel (SMS, email, Slack)."""

    def send(self, page: Page) -> None:
        """Deliver one message to `page.address`.

        Raises NotificationFailed: permanent=True when retrying cannot help (invalid address),
        otherwise the dispatcher retries with backoff. A retry may deliver the message again if
        the provider accepted it but the answer was lost.
        """
        ...


class InboundMessageLog(Protocol):
    """The provider ids of inbound messages already acted on, so a redelivered one is acted on once."""

    def first_time(self, message_id: str, at: datetime) -> bool:
        """Note `message_id`; True if it was not noted before. Safe to call from several processes."""
        ...

    def forget(self, message_id: str) -> None:
        """Un-note a message whose handling failed, so the provider's retry is handled."""
        ...


class Doorbell(Protocol):
    """Tells the dispatcher that new messages were committed to the outbox."""

    def ring(self) -> None: ...


class IncidentObserver(Protocol):
    """Hears of each committed change of an incident's state, to mirror it elsewhere (chat cards)."""

    def incident_changed(self, incident: Incident) -> None:
        """Called after commit when the incident was acknowledged, resolved, escalated to another level
        or ran out of levels; `incident` is its new state. Must not raise: the change is already made.
        A process dying just before the call loses that one notice (the incident itself is safe)."""
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
    threads that take alerts and send pages.
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
