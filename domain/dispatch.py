"""Delivering what the outbox owes: one message per address, retried until it is sent or hopeless."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from domain import events
from domain.delivery_ports import Batch, ClaimedMessage, Notifier, Page, PageItem
from domain.errors import SendFailed
from domain.fallthrough import Delivery, fall_through, record_if_unreached
from domain.model import Catalog, Channel, IncidentState, ServiceId
from domain.notify_rules import step_label
from domain.observing_ports import NoMetrics, NotificationOutcome, PagerMetrics
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory

Task = Callable[[], None]
Runner = Callable[[Sequence[Task]], None]
"""Runs tasks: in turn, or side by side on an adapter's threads (and then perhaps after it returns)."""


def in_turn(tasks: Sequence[Task]) -> None:
    for task in tasks:
        task()


@dataclass(frozen=True)
class DispatchPolicy:
    bundle_window: timedelta = timedelta(seconds=1)
    lease: timedelta = timedelta(seconds=60)
    # The longest a notifier may take over one send (its timeouts and quick retries added up). A send
    # starts only with this much lease left, so it ends before another sender may re-claim the page.
    send_budget: timedelta = timedelta(seconds=45)
    # A page that leaves this soon after its claim, before any other page of its claim was sent, is not
    # checked again for an acknowledgement since the claim (a query per page, for a window this short).
    fresh_claim: timedelta = timedelta(milliseconds=100)
    first_retry: timedelta = timedelta(seconds=2)
    max_retry: timedelta = timedelta(seconds=60)
    # A page still undelivered this long after it was queued also falls through to the person's next
    # contact method (once), while it keeps being retried: an SMS outage must not leave someone
    # unreached whose email works.
    delivery_deadline: timedelta = timedelta(minutes=2)

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff after `attempts` failed attempts, capped."""
        # Doubling stops at the cap: 2 ** attempts would overflow timedelta after a long outage.
        delay = self.first_retry
        for _ in range(max(attempts - 1, 0)):
            if delay >= self.max_retry:
                break
            delay *= 2
        return min(delay, self.max_retry)


@dataclass
class _Claim:
    """One claim of due pages: when it was made, and whether one of its pages has left since."""

    at: datetime
    a_page_left: bool = False


class Dispatcher:
    """Claims due outbox messages, sends them, and records each outcome on the incidents' timelines."""

    def __init__(
        self,
        catalog: Catalog,
        uow: UnitOfWorkFactory,
        notifiers: Mapping[Channel, Notifier],
        clock: Clock,
        policy: DispatchPolicy | None = None,
        metrics: PagerMetrics | None = None,
    ) -> None:
        self._catalog = catalog
        self._uow = uow
        self._notifiers = notifiers
        self._clock = clock
        self.policy = policy or DispatchPolicy()
        self._metrics = metrics or NoMetrics()

    def dispatch_due(self, channel: Channel | None = None, run: Runner = in_turn) -> int:
        """Send everything due now (on `channel` only, if given). Returns how many pages were claimed.

        Each page goes to another address, so `run` may send them side by side: a slow provider then
        delays a pass by its slowest answer rather than by the sum of them."""
        now = self._clock.now()
        window = self.policy.bundle_window.total_seconds()
        lease = now + self.policy.lease
        with self._uow() as uow:
            batches = uow.outbox.claim(now, window, lease_until=lease, channel=channel)
            uow.commit()
        claim = _Claim(now)
        run([partial(self._send, batch, lease, claim) for batch in batches])
        return len(batches)

    def _send(self, batch: Batch, lease: datetime, claim: _Claim) -> None:
        held = self._hold(batch, lease)
        if held is None:
            return
        owed: Batch | None = held[0]
        if claim.a_page_left or self._clock.now() - claim.at > self.policy.fresh_claim:
            owed = self._still_owed(held[0])
        if owed is not None:
            try:
                self._deliver(owed, held[1])
            finally:
                claim.a_page_left = True

    def next_due(self, channel: Channel | None = None) -> datetime | None:
        with self._uow() as uow:
            return uow.outbox.next_due(self.policy.bundle_window.total_seconds(), channel)

    def _hold(self, batch: Batch, lease: datetime) -> tuple[Batch, datetime] | None:
        """The batch (and its lease) if it may still be sent: pages sent before it on a slow channel
        may have eaten its lease, so it is renewed first, and what was cancelled meanwhile dropped."""
        now = self._clock.now()
        if lease - now >= self.policy.send_budget:
            return batch, lease
        renewed_lease = now + self.policy.lease
        with self._uow() as uow:
            held = set(uow.outbox.renew([c.id for c in batch.messages], lease, renewed_lease))
            uow.commit()
        messages = tuple(c for c in batch.messages if c.id in held)
        return (Batch(batch.channel, batch.address, messages), renewed_lease) if messages else None

    def _still_owed(self, batch: Batch) -> Batch | None:
        """The batch less the incidents acknowledged or resolved since it was claimed (which cancelled
        their messages); None when nothing is left. Earlier sends of the pass may have taken seconds."""
        with self._uow() as uow:
            incidents = [uow.incidents.get(i) for i in {c.message.incident_id for c in batch.messages}]
        waiting = {i.id for i in incidents if i is not None and i.state is IncidentState.TRIGGERED}
        owed = tuple(c for c in batch.messages if c.message.incident_id in waiting)
        return replace(batch, messages=owed) if owed else None

    def _deliver(self, batch: Batch, lease: datetime) -> None:
        page = self._page(batch)
        try:
            self._notifiers[batch.channel].send(page)
        except SendFailed as failure:
            self._record_failure(batch, lease, failure)
        except Exception as exc:
            # A notifier's own bug fails the same way on every retry: treat it as permanent, so the
            # person's next contact method is paged now rather than never.
            bug = SendFailed(f"notifier error: {type(exc).__name__}", permanent=True)
            self._record_failure(batch, lease, bug)
        else:
            self._record_success(batch)

    def _page(self, batch: Batch) -> Page:
        items = []
        for claimed in batch.messages:
            m = claimed.message
            service = self._catalog.services.get(ServiceId(m.service_id))
            items.append(
                PageItem(
                    incident_id=m.incident_id,
                    service_id=m.service_id,
                    service_name=service.name if service else m.service_id,
                    summary=m.summary,
                    level=m.level,
                    round=m.round,
                )
            )
        # Two steps of one person's rules for one level, both overdue (after an outage), leave as one page.
        return Page(batch.channel, batch.address, tuple(dict.fromkeys(items)))

    def _record_success(self, batch: Batch) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            uow.outbox.mark_sent([c.id for c in batch.messages], now)
            for c in batch.messages:
                m = c.message
                uow.timeline.append(
                    m.incident_id,
                    events.NotificationSent(
                        at=now,
                        channel=m.channel,
                        address=m.address,
                        target=step_label(m.target, m.step),
                        level=m.level,
                        round=m.round,
                    ),
                )
            uow.commit()
        self._metrics.notified(batch.channel, NotificationOutcome.SENT)

    def _record_failure(self, batch: Batch, lease: datetime, failure: SendFailed) -> None:
        now = self._clock.now()
        retry_at = None if failure.permanent else self._retry_at(batch, failure, now)
        late = [] if retry_at is None else self._undelivered_by_deadline(batch, now, retry_at)
        with self._uow() as uow:
            if failure.permanent or late:
                # Serializes with the other channels' outcomes for the same step, so the last
                # failure of a level sees every other one and records the level unreached.
                for service_id in sorted({c.message.service_id for c in batch.messages}):
                    uow.services.lock(service_id)
            uow.outbox.mark_failed([c.id for c in batch.messages], failure.reason, retry_at, lease)
            self._record_failed_events(uow, batch, failure, now)
            outcome = NotificationOutcome.FAILED_TEMPORARILY
            if failure.permanent:
                fell = self._fall_through(uow, batch, failure.reason, now)
                outcome = NotificationOutcome.FELL_THROUGH if fell else NotificationOutcome.FAILED_PERMANENTLY
            elif late and self._fall_through_late(uow, late, failure.reason, now):
                outcome = NotificationOutcome.FELL_THROUGH
            uow.commit()
        self._metrics.notified(batch.channel, outcome)

    def _record_failed_events(
        self, uow: UnitOfWork, batch: Batch, failure: SendFailed, now: datetime
    ) -> None:
        for c in batch.messages:
            m = c.message
            uow.timeline.append(
                m.incident_id,
                events.NotificationFailed(
                    at=now,
                    channel=m.channel,
                    address=m.address,
                    target=step_label(m.target, m.step),
                    level=m.level,
                    round=m.round,
                    reason=failure.reason,
                    permanent=failure.permanent,
                ),
            )

    def _retry_at(self, batch: Batch, failure: SendFailed, now: datetime) -> datetime:
        """After our backoff, but no later than the batch's next delivery deadline (that attempt's
        failure falls through); after the provider's Retry-After (a 429's) if it asked for longer."""
        attempts = max(c.attempts for c in batch.messages) + 1
        backoff = now + self.policy.retry_delay(attempts)
        deadlines = [self._deadline(c) for c in batch.messages if self._deadline(c) > now]
        asked = now + timedelta(seconds=failure.retry_after or 0)
        return max(min([backoff, *deadlines]), asked)

    def _deadline(self, claimed: ClaimedMessage) -> datetime:
        return claimed.message.created_at + self.policy.delivery_deadline

    def _undelivered_by_deadline(
        self, batch: Batch, now: datetime, retry_at: datetime
    ) -> list[ClaimedMessage]:
        """The messages whose delivery deadline has passed, or will before the next attempt."""
        return [c for c in batch.messages if self._deadline(c) <= now or self._deadline(c) < retry_at]

    def _fall_through_late(
        self, uow: UnitOfWork, late: list[ClaimedMessage], reason: str, now: datetime
    ) -> bool:
        """Each message past its delivery deadline falls through once (it stays queued for retry).
        True when some next contact method was queued."""
        first_time = set(uow.outbox.mark_fell_through([c.id for c in late], now))
        minutes = self.policy.delivery_deadline
        why = f"not delivered within {_duration(minutes)}: {reason}"
        queued = False
        for c in late:
            if c.id in first_time:
                m = c.message
                failed = Delivery(m.incident_id, m.level, m.round, m.channel, m.address, m.step)
                queued |= fall_through(uow, self._catalog, failed, m.target, why, now) is not None
        return queued

    def _fall_through(self, uow: UnitOfWork, batch: Batch, reason: str, now: datetime) -> bool:
        """A permanent failure pages each person's next contact method instead (see fallthrough.py);
        with none left and nothing else of the level under way, the level is recorded unreached.
        True when some next contact method was queued."""
        queued = False
        for c in batch.messages:
            m = c.message
            failed = Delivery(m.incident_id, m.level, m.round, m.channel, m.address, m.step)
            if fall_through(uow, self._catalog, failed, m.target, reason, now) is not None:
                queued = True
            else:
                record_if_unreached(uow, failed, reason, now)
        return queued


def _duration(delta: timedelta) -> str:
    """`2m`, `90s`: a duration as people write it in the settings."""
    seconds = int(delta.total_seconds())
    return f"{seconds // 60}m" if seconds % 60 == 0 and seconds else f"{seconds}s"
