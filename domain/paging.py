"""Paging a level, escalating, receiving an alert: the events they record and the messages they queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import events
from domain.model import Alert, Catalog, EscalationPolicy, Incident, Step
from domain.ports import OutboxMessage, UnitOfWork
from domain.targets import resolve_targets


def page_level(
    uow: UnitOfWork, catalog: Catalog, incident: Incident, policy: EscalationPolicy, step: Step, now: datetime
) -> None:
    """Page `step`'s level of `policy`: record it on the incident and queue one message per address."""
    level = policy.levels[step.level]
    incident.page(step, level, now)
    resolved = resolve_targets(level.targets, catalog, now)
    for target, reason in resolved.unreachable:
        incident.record(events.TargetUnreachable(at=now, target=target, reason=reason))
    uow.outbox.put(
        [
            OutboxMessage(
                incident_id=incident.id,
                service_id=incident.service_id,
                summary=incident.summary,
                level=step.level + 1,
                round=step.round,
                channel=contact.channel,
                address=contact.address,
                target=target,
                created_at=now,
            )
            for contact, target in resolved.contacts
        ]
    )


def received(alert: Alert, now: datetime) -> events.AlertReceived:
    """The timeline's record of an alert, details included."""
    return events.AlertReceived(
        at=now,
        summary=alert.summary,
        status=alert.status.value,
        source=alert.source,
        dedup_key=alert.dedup_key,
        severity=alert.severity,
        details=dict(alert.details),
    )


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
