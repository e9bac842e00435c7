"""Delivering what the outbox owes: one message per address, retried until it is sent or hopeless."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import events
from domain.errors import NotificationFailed
from domain.fallthrough import Delivery, fall_through
from domain.model import Catalog, Channel, ServiceId
from domain.ports import (
    Batch,
    Clock,
    NoMetrics,
    NotificationOutcome,
    Notifier,
    Page,
    PageItem,
    PagerMetrics,
    UnitOfWork,
    UnitOfWorkFactory,
)


@dataclass(frozen=True)
class DispatchPolicy:
    bundle_window: timedelta = timedelta(seconds=1)
    lease: timedelta = timedelta(seconds=60)
    first_retry: timedelta = timedelta(seconds=2)
    max_retry: timedelta = timedelta(seconds=60)

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff after `attempts` failed attempts, capped."""
        # Doubling stops at the cap: 2 ** attempts would overflow timedelta after a long outage.
        delay = self.first_retry
        for _ in range(max(attempts - 1, 0)):
            if delay >= self.max_retry:
                break
            delay *= 2
        return min(delay, self.max_retry)


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

    def dispatch_due(self) -> int:
        """Send everything due now. Returns how many pages were attempted."""
        now = self._clock.now()
        window = self.policy.bundle_window.total_seconds()
        with self._uow() as uow:
            batches = uow.outbox.claim(now, window, lease_until=now + self.policy.lease)
            uow.commit()
        for batch in batches:
            self._deliver(batch)
        return len(batches)

    def next_due(self) -> datetime | None:
        with self._uow() as uow:
            return uow.outbox.next_due(self.policy.bundle_window.total_seconds())

    def _deliver(self, batch: Batch) -> None:
        page = self._page(batch)
        try:
            self._notifiers[batch.channel].send(page)
        except NotificationFailed as failure:
            self._record_failure(batch, failure)
        except Exception as exc:  # a notifier bug must not lose the page: retry it like an outage
            self._record_failure(
                batch, NotificationFailed(f"unexpected {type(exc).__name__}", permanent=False)
            )
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
        return Page(batch.channel, batch.address, tuple(items))

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
                        target=m.target,
                        level=m.level,
                        round=m.round,
                    ),
                )
            uow.commit()
        self._metrics.notified(batch.channel, NotificationOutcome.SENT)

    def _record_failure(self, batch: Batch, failure: NotificationFailed) -> None:
        now = self._clock.now()
        attempts = max(c.attempts for c in batch.messages) + 1
        retry_at = None if failure.permanent else now + self.policy.retry_delay(attempts)
        with self._uow() as uow:
            uow.outbox.mark_failed([c.id for c in batch.messages], failure.reason, retry_at)
            for c in batch.messages:
                m = c.message
                uow.timeline.append(
                    m.incident_id,
                    events.NotificationFailed(
                        at=now,
                        channel=m.channel,
                        address=m.address,
                        target=m.target,
                        level=m.level,
                        round=m.round,
                        reason=failure.reason,
                        permanent=failure.permanent,
                    ),
                )
            outcome = NotificationOutcome.FAILED_TEMPORARILY
            if failure.permanent:
                fell = self._fall_through(uow, batch, failure.reason, now)
                outcome = NotificationOutcome.FELL_THROUGH if fell else NotificationOutcome.FAILED_PERMANENTLY
            uow.commit()
        self._metrics.notified(batch.channel, outcome)

    def _fall_through(self, uow: UnitOfWork, batch: Batch, reason: str, now: datetime) -> bool:
        """A permanent failure pages each person's next contact method instead (see fallthrough.py).
        True when some next contact method was queued."""
        queued = False
        for c in batch.messages:
            m = c.message
            failed = Delivery(m.incident_id, m.level, m.round, m.channel, m.address)
            queued |= fall_through(uow, self._catalog, failed, m.target, reason, now) is not None
        return queued
