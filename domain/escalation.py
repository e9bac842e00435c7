"""Escalating on acknowledgement timeouts, one incident's or every overdue one's in batches (the engine), and
what the pager tells the outside world after any change commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.delivery_ports import Doorbell
from domain.errors import IncidentNotFound, SweepFailed
from domain.model import Catalog, Incident, IncidentId, ServiceState, Step
from domain.observing_ports import IncidentObserver, PagerMetrics
from domain.paging import page_level
from domain.ports import Clock, UnitOfWork, UnitOfWorkFactory, WakeUps


@dataclass(frozen=True)
class Aftermath:
    """Who hears of a change once it committed: the wake-ups, the outbox's doorbell, the observer, metrics."""

    wakeups: WakeUps
    doorbell: Doorbell | None
    observer: IncidentObserver | None
    metrics: PagerMetrics

    def changed(self, incident: Incident) -> None:
        """Let the observer mirror the incident's new state (chat cards, say)."""
        if self.observer is not None:
            self.observer.incident_changed(incident)

    def acknowledged(self, incident: Incident, now: datetime) -> None:
        self.changed(incident)
        self.metrics.acknowledged(now - incident.opened_at)

    def paged(self, incident: Incident) -> None:
        """A level was paged: arm its deadline and wake the dispatcher."""
        self.arm(incident)
        if self.doorbell is not None:
            self.doorbell.ring()

    def arm(self, incident: Incident) -> None:
        """Ask for the engine to look when the incident's acknowledgement deadline passes."""
        if incident.ack_deadline is not None:
            self.wakeups.at(incident.ack_deadline)

    def escalated(self, escalations: Sequence[Escalation]) -> None:
        """Tell the observer, arm the next deadlines, ring the doorbell once."""
        paged = False
        for escalation in escalations:
            if escalation.changed:
                self.changed(escalation.incident)
            if escalation.step is not None:
                self.arm(escalation.incident)
                paged = True
            if escalation.late is not None:
                self.metrics.escalated(escalation.late)
        if paged and self.doorbell is not None:
            self.doorbell.ring()


class Escalator:
    """The engine's job for acknowledgement deadlines, and the one-incident timeout `Pager` offers."""

    name = "acknowledgement timeouts"

    def __init__(self, catalog: Catalog, uow: UnitOfWorkFactory, clock: Clock, after: Aftermath) -> None:
        self._catalog = catalog
        self._uow = uow
        self._clock = clock
        self._after = after

    def on_ack_timeout(self, incident_id: IncidentId, fired: Step) -> None:
        """An acknowledgement deadline passed. Stale, early or repeated wake-ups change nothing."""
        now = self._clock.now()
        with self._uow() as uow:
            try:
                incident, _ = locked(uow, incident_id)
            except IncidentNotFound:
                return
            early_deadline = incident.ack_deadline if incident.awaits(fired) else None
            escalation = escalate(uow, self._catalog, incident, fired, now)
            if escalation.changed:
                uow.incidents.save(incident)
                uow.commit()
        self._after.escalated([escalation])
        if escalation.step is None and early_deadline is not None and now < early_deadline:
            self._after.wakeups.at(early_deadline)

    def run_due(self) -> int:
        return self.sweep_overdue()

    def deadlines(self) -> list[datetime]:
        with self._uow() as uow:
            return [at for _, _, at in uow.incidents.pending_deadlines()]

    def sweep_overdue(self, batch: int = 200) -> int:
        """Escalate every incident whose acknowledgement deadline passed.

        Incidents go `batch` at a time, each batch in ONE unit of work (as alerts do in `on_alert_groups`):
        a burst of deadlines costs a few statements per batch, not a transaction per incident. Returns how
        many overdue incidents were found.

        A batch that fails is retried one incident at a time, so one broken incident cannot hold back the
        others; the failures are raised together as SweepFailed once the rest went through.
        """
        found = 0
        while True:
            try:
                count = self._escalate_batch(batch)
            except Exception:
                return found + self._escalate_one_by_one(batch)
            found += count
            if count < batch:
                return found

    def _escalate_batch(self, batch: int) -> int:
        now = self._clock.now()
        with self._uow() as uow:
            overdue = dict(uow.incidents.overdue(now, batch))
            if not overdue:
                return 0
            services = [i.service_id for i in uow.incidents.get_many(list(overdue)).values()]
            uow.services.lock_all(services)
            current = uow.incidents.get_many(list(overdue))  # read again, now that no change can interleave
            escalations = [
                escalate(uow, self._catalog, current[i], fired, now)
                for i, fired in overdue.items()
                if i in current
            ]
            for escalation in escalations:
                if escalation.changed:
                    uow.incidents.save(escalation.incident)
            uow.commit()
        self._after.escalated(escalations)
        return len(overdue)

    def _escalate_one_by_one(self, batch: int) -> int:
        with self._uow() as uow:
            overdue = uow.incidents.overdue(self._clock.now(), batch)
        failures: list[tuple[IncidentId, Exception]] = []
        for incident_id, step in overdue:
            try:
                self.on_ack_timeout(incident_id, step)
            except Exception as exc:  # one broken incident must not hold back the others
                failures.append((incident_id, exc))
        if failures:
            raise SweepFailed(failures)
        return len(overdue)


@dataclass(frozen=True)
class Escalation:
    """What an acknowledgement timeout did to one incident."""

    incident: Incident
    step: Step | None  # the step paged, if any
    late: timedelta | None  # how long after its deadline that step was paged
    changed: bool


def escalate(uow: UnitOfWork, catalog: Catalog, incident: Incident, fired: Step, now: datetime) -> Escalation:
    """The timeout of `fired` on `incident`, inside a unit of work holding its service's lock: page the next
    step if `fired` is due; stale, early and repeated timeouts change nothing."""
    deadline = incident.ack_deadline if incident.is_due(fired, now) else None
    service = catalog.services.get(incident.service_id)
    step = None
    if service is None:  # removed from the config while its incident was open
        if deadline is not None:
            incident.give_up(now, reason="the service is no longer in the config")
    else:
        policy = catalog.policy_for(service)
        step = incident.next_step(fired, now, policy)
        if step is not None:
            page_level(uow, catalog, incident, policy, step, now)
    late = None if step is None or deadline is None else now - deadline
    return Escalation(incident, step, late, changed=bool(incident.events))


def locked(uow: UnitOfWork, incident_id: IncidentId) -> tuple[Incident, ServiceState]:
    """The incident, read after its service's lock is held, so no other change interleaves."""
    found = uow.incidents.get(incident_id)
    if found is None:
        raise IncidentNotFound(incident_id)
    state = uow.services.lock(found.service_id)
    incident = uow.incidents.get(incident_id)
    assert incident is not None
    return incident, state
