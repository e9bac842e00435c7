"""What paging a level and receiving an alert write: the incident's events and the outbox's messages."""

from __future__ import annotations

from datetime import datetime

from domain import events
from domain.alerts import Alert
from domain.delivery_ports import OutboxMessage
from domain.model import Catalog, EscalationPolicy, Incident, Step
from domain.ports import UnitOfWork
from domain.targets import OwedStep, resolve_targets


def page_level(
    uow: UnitOfWork, catalog: Catalog, incident: Incident, policy: EscalationPolicy, step: Step, now: datetime
) -> None:
    """Page `step`'s level of `policy`: record it on the incident and queue one message per address
    (per notification step, for a person with notification rules)."""
    level = policy.level(step.level)
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
                level=step.level,
                round=step.round,
                channel=contact.channel,
                address=contact.address,
                target=target,
                created_at=now,
            )
            for contact, target in resolved.contacts
        ]
    )
    uow.outbox.put([step_message(incident, step, owed, now) for owed in resolved.steps])


def step_message(incident: Incident, step: Step, owed: OwedStep, now: datetime) -> OutboxMessage:
    """The message of a person's notification step, owed its delay after `now`."""
    contact = owed.step.contact
    return OutboxMessage(
        incident_id=incident.id,
        service_id=incident.service_id,
        summary=incident.summary,
        level=step.level,
        round=step.round,
        channel=contact.channel,
        address=contact.address,
        target=owed.target,
        created_at=now + owed.step.delay,
        step=owed.number,
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
