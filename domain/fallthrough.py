"""Falling through to a person's next contact method when a page cannot reach them on one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from domain import events
from domain.delivery_ports import Doorbell, OutboxMessage, StepMessage
from domain.model import Catalog, Channel, Contact, IncidentId, Person, PersonId, Step, TargetKind
from domain.notify_rules import bring_next_step_forward
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory

# What Twilio reports for a message the phone never got; other statuses are progress or success.
UNDELIVERED = {"undelivered", "failed"}
REPORTED = UNDELIVERED | {"delivered"}


@dataclass(frozen=True)
class Delivery:
    """One message owed to one address for one step (level counts from 1) of an incident."""

    incident_id: IncidentId
    level: int
    round: int
    channel: Channel
    address: str
    step: int = 0  # of the person's notification rules; 0 for a page to every method at once


def owner(catalog: Catalog, contact: Contact, target: str | None = None) -> Person | None:
    """The person a contact belongs to: the target's person if it names one, else whoever lists it.

    A raw address target (`sms:+336...`) pages that address, not a person: nobody to fall through to.
    """
    kind = None if target is None else target.partition(":")[0]
    if kind in (TargetKind.SMS, TargetKind.EMAIL, TargetKind.SLACK, TargetKind.VOICE):
        return None
    if target is not None and kind == TargetKind.PERSON:
        person = catalog.people.get(PersonId(target.partition(":")[2]))
        if person is not None:
            return person
    for person in sorted(catalog.people.values(), key=lambda p: p.id):
        if contact in person.contacts or contact in person.fallbacks:
            return person
    return None


def _after(person: Person, failed: Contact) -> Iterator[Contact]:
    methods = (*person.contacts, *person.fallbacks)
    if failed in methods:
        yield from methods[methods.index(failed) + 1 :]


def fall_through(
    uow: UnitOfWork, catalog: Catalog, failed: Delivery, target: str | None, reason: str, now: datetime
) -> Contact | None:
    """Queue the person's next contact method not yet paged for this step (with notification rules,
    page their next step now); None when there is none, or when the incident no longer waits for
    this step (acknowledged, resolved, escalated)."""
    incident = uow.incidents.get(failed.incident_id)
    if incident is None or not incident.awaits(Step(failed.level, failed.round)):
        return None
    person = owner(catalog, Contact(failed.channel, failed.address), target)
    if person is None:
        return None
    if person.notify:
        return _next_step(uow, person, failed, reason, now)
    for contact in _after(person, Contact(failed.channel, failed.address)):
        message = OutboxMessage(
            incident.id, incident.service_id, incident.summary, failed.level, failed.round,
            contact.channel, contact.address, target or f"{TargetKind.PERSON}:{person.id}", now,
        )  # fmt: skip
        if uow.outbox.add([message]):
            uow.timeline.append(
                incident.id,
                events.FellThrough(
                    now, person.id, failed.channel, failed.address, contact.channel, contact.address, reason
                ),
            )
            return contact
    return None


def _next_step(
    uow: UnitOfWork, person: Person, failed: Delivery, reason: str, now: datetime
) -> Contact | None:
    """With notification rules, the person's next step is paged at once (their `fallback` is unused)."""
    key = StepMessage(
        failed.incident_id, failed.level, failed.round, failed.channel, failed.address, failed.step
    )
    contact = bring_next_step_forward(uow, person, key, now)
    if contact is not None:
        uow.timeline.append(
            failed.incident_id,
            events.FellThrough(
                now, person.id, failed.channel, failed.address, contact.channel, contact.address, reason
            ),
        )
    return contact


def record_if_unreached(uow: UnitOfWork, failed: Delivery, reason: str, now: datetime) -> bool:
    """Record LevelUnreached when nothing of the failed delivery's step is waiting, in flight or sent,
    and the incident still waits for that step. The deadline is left alone: escalation stays on time.

    Callers hold the service's lock, so of two last failures of one level only the later records it.
    """
    incident = uow.incidents.get(failed.incident_id)
    if incident is None or not incident.awaits(Step(failed.level, failed.round)):
        return False
    if uow.outbox.reaching(failed.incident_id, failed.level, failed.round):
        return False
    uow.timeline.append(incident.id, events.LevelUnreached(now, failed.level, failed.round, reason))
    return True


class DeliveryReports:
    """What a provider reports after accepting a message: recorded, and an undelivered one falls through."""

    def __init__(
        self, catalog: Catalog, uow: UnitOfWorkFactory, clock: Clock, doorbell: Doorbell | None = None
    ) -> None:
        self._catalog, self._uow, self._clock, self._doorbell = catalog, uow, clock, doorbell

    def on_status(self, deliveries: list[Delivery], status: str, error: str | None = None) -> int:
        """Record `status` for each delivery; returns how many fell through to another method."""
        if status not in REPORTED:
            return 0
        return self.on_report(deliveries, status, error, undelivered=status in UNDELIVERED)

    def on_report(
        self, deliveries: list[Delivery], status: str, error: str | None, *, undelivered: bool
    ) -> int:
        """Record `status` for each delivery, whatever the channel calls it; an `undelivered` one falls
        through to the person's next method. Returns how many fell through."""
        now = self._clock.now()
        fell = 0
        with self._uow() as uow:
            for d in deliveries:
                if uow.incidents.get(d.incident_id) is None:
                    continue
                report = events.DeliveryReported(now, d.channel, d.address, status, error)
                uow.timeline.append(d.incident_id, report)
                if undelivered:
                    reason = f"{d.channel} {status}" + (f" (error {error})" if error else "")
                    fell += fall_through(uow, self._catalog, d, None, reason, now) is not None
            uow.commit()
        if fell and self._doorbell is not None:
            self._doorbell.ring()
        return fell
