"""The ports of delivery: the outbox of messages owed, the notifiers that send them, the doorbell.

"Raises store errors" means what `domain/ports.py` says it means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.model import Channel, IncidentId, ServiceId


@dataclass(frozen=True)
class OutboxMessage:
    """One notification owed to one address for one step of one incident.

    (incident_id, level, round, channel, address, step) is unique: the same step never notifies an
    address twice, however often it is recorded.

    `step` is 0 for a page to every method at once (or a fall-through), n for the n-th step of the
    person's notification rules. A notification step's message is owed from `created_at` (the level's
    paging plus the step's delay): it is held back until then, and its bundling window and delivery
    deadline count from then.
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
    step: int = 0


@dataclass(frozen=True)
class StepMessage:
    """The key of a notification step's message: step `step` to `channel`/`address` for a step (level,
    round) of an incident."""

    incident_id: IncidentId
    level: int
    round: int
    channel: Channel
    address: str
    step: int


@dataclass(frozen=True)
class ClaimedMessage:
    """A queued message as a sender claimed it: its id in the outbox, and how many attempts failed before."""

    id: int
    message: OutboxMessage
    attempts: int


@dataclass(frozen=True)
class Batch:
    """Every claimed message for one address: they leave as one page."""

    channel: Channel
    address: str
    messages: tuple[ClaimedMessage, ...]


class Outbox(Protocol):
    """The messages owed, queued in the transaction of the change that owes them, claimed by senders under
    a lease so that each leaves once."""

    def add(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue messages; one whose unique key is already queued is skipped. Returns how many were new.
        Raises store errors. Safe to repeat: nothing is queued twice."""
        ...

    def put(self, messages: Sequence[OutboxMessage]) -> None:
        """`add`, written with the unit of work's other writes (at its commit, or before the outbox is
        next read), for callers that need no count back: many incidents' pages cost one statement.
        Raises store errors, maybe later. Safe to repeat, as `add`."""
        ...

    def cancel(self, incident_id: IncidentId) -> None:
        """Drop the incident's messages not sent yet, in a sender's hands included: a failure of
        one of those is then final, never retried after the ack. Written with the unit of work's
        other writes, after the messages it put. Raises store errors, maybe later. Safe to repeat."""
        ...

    def bring_forward(self, key: StepMessage, now: datetime) -> bool:
        """Make that notification step's message owed from `now` if it is still held back for later.
        Returns whether it was. Raises store errors. Safe to repeat: a repeat finds it no longer held."""
        ...

    def claim(
        self, now: datetime, bundle_window_s: float, lease_until: datetime, channel: Channel | None = None
    ) -> list[Batch]:
        """Claim what is due, grouped by address, until `lease_until` (on `channel` only, if given).

        An address is due when its oldest pending message is `bundle_window_s` old; then all its
        pending messages are claimed together, except those held back for later (a retry's
        backoff, a notification step's delay), which neither hold back nor join the others.
        Messages whose lease ran out (a sender that died) are pending again. Safe to call from
        several processes at once: nothing is claimed twice.
        `lease_until` is also the claim's token: a later claim of the same rows has another one.
        Raises store errors. Calling again claims only what has fallen due since.
        """
        ...

    def renew(self, ids: Sequence[int], lease: datetime, until: datetime) -> list[int]:
        """Extend to `until` the lease of those messages still held under `lease` (neither re-claimed
        after it ran out nor cancelled). Returns their ids: only those may be sent. Raises store errors.
        A repeat with the same `lease` finds none held: the lease is `until` from then on."""
        ...

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        """Record that the provider accepted the messages, whoever holds them now: they were sent, so
        nobody may send them again (a lapsed lease notwithstanding). Raises store errors. Safe to
        repeat."""
        ...

    def mark_failed(self, ids: Sequence[int], reason: str, retry_at: datetime | None, lease: datetime) -> int:
        """Record a failed attempt of messages claimed under `lease`: retry at `retry_at`, or give up
        for good when it is None. Messages cancelled or re-claimed meanwhile are left alone.
        Returns how many were recorded. Raises store errors. Safe to repeat: the first call ends the
        lease, so a repeat records nothing."""
        ...

    def mark_fell_through(self, ids: Sequence[int], at: datetime) -> list[int]:
        """Record that these messages, still undelivered at their delivery deadline, fell through to
        the person's next contact method. Returns the ids not marked before: only those may fall
        through, so each message does so once however often it fails. They stay queued for retry.
        Raises store errors. Safe to repeat: a repeat returns none."""
        ...

    def next_due(self, bundle_window_s: float, channel: Channel | None = None) -> datetime | None:
        """When the next claim (on `channel`, if given) could find something: a bundle window ending,
        a retry falling due or a lease running out. None: nothing is waiting. A read (raises store
        errors): safe to retry."""
        ...

    def reaching(self, incident_id: IncidentId, level: int, round: int) -> bool:
        """Whether some message of that step is still waiting, in flight or was sent. A read (raises
        store errors): safe to retry."""
        ...

    def backlog(self) -> int:
        """How many messages are waiting to be sent. A read (raises store errors): safe to retry."""
        ...


@dataclass(frozen=True)
class PageItem:
    """One incident a page lists, with the step it is paged for."""

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
    """Delivers pages on one channel (SMS, email, Slack).

    What a notifier raises decides what the dispatcher does next, so each one sorts its provider's errors:
    - `SendFailed(permanent=True)` when retrying cannot help: the provider refused the address, the
      message or our credentials. The dispatcher does not retry; the person's next contact method is paged.
    - `SendFailed(permanent=False)` when a later try may work: the provider unreachable, slow past the
      call's timeout, failing (5xx) or asking us to slow down (429, with `retry_after` from its
      Retry-After). The dispatcher retries with backoff.
    - Anything else is taken for the notifier's own bug, which would fail the same way every time: it is
      handled as a permanent failure.
    """

    def send(self, page: Page) -> None:
        """Deliver one message to `page.address`, listing every item of `page`; returns once the provider
        accepted it. Every call to the provider has a timeout, so `send` returns or raises in bounded time.

        Raises SendFailed, permanent or not, as the class says. Not idempotent: a retry may deliver the
        message again if the provider accepted it but the answer was lost. The dispatcher retries; a
        notifier may also try again a few times at once before raising.
        """
        ...


class Doorbell(Protocol):
    """Tells the dispatcher that new messages were committed to the outbox."""

    def ring(self) -> None:
        """Say that messages were committed, so the relay plans a look for them rather than waiting for
        the next one it had planned. Called after the commit; returns at once and never raises. Safe to
        repeat: rings before that look make one. Nobody retries a lost ring: the relay also looks on its
        own every few seconds, so a lost ring delays the messages, never loses them."""
        ...
