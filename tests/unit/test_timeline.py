"""The incident timeline: every alert, page, escalation, acknowledgement and resolution is written down."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from domain import events
from domain.alerts import Alert, AlertStatus
from domain.model import IncidentId
from tests.fakes import T0
from tests.unit.conftest import World

E = TypeVar("E", bound=events.Event)


def open_incident(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", Alert("disk full", source="prometheus", dedup_key="disk"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def of_kind(world: World, incident_id: IncidentId, kind: type[E]) -> list[E]:
    return [e for e in world.store.timeline[incident_id] if isinstance(e, kind)]


def test_opening_records_the_incident_the_alert_and_the_first_level(world: World) -> None:
    incident_id = open_incident(world)

    assert world.store.timeline[incident_id] == [
        events.IncidentOpened(at=T0, service_id="payments", summary="disk full"),
        events.AlertReceived(
            at=T0, summary="disk full", status="firing", source="prometheus", dedup_key="disk"
        ),
        events.LevelPaged(
            at=T0,
            level=1,
            round=0,
            targets=("person:alice", "slack:#ops"),
            ack_deadline=T0 + timedelta(minutes=15),
        ),
    ]


def test_each_notification_is_recorded_with_channel_address_and_target(world: World) -> None:
    incident_id = open_incident(world)

    world.deliver()

    sent_at = T0 + world.dispatcher.policy.bundle_window
    assert sorted(of_kind(world, incident_id, events.NotificationSent), key=lambda e: e.address) == [
        events.NotificationSent(sent_at, "slack", "#ops", "slack:#ops", level=1, round=0),
        events.NotificationSent(sent_at, "sms", "+33612345678", "person:alice", level=1, round=0),
        events.NotificationSent(sent_at, "email", "alice@example.com", "person:alice", level=1, round=0),
    ]


def test_escalation_records_the_level_paged(world: World) -> None:
    incident_id = open_incident(world)
    deadline = T0 + timedelta(minutes=15)

    world.advance(deadline - world.clock.now())

    assert of_kind(world, incident_id, events.LevelPaged)[-1] == events.LevelPaged(
        at=deadline,
        level=2,
        round=0,
        targets=("person:bob", "sms:+33600000000"),
        ack_deadline=deadline + timedelta(minutes=10),
    )


def test_ack_records_who_acknowledged(world: World) -> None:
    incident_id = open_incident(world)

    world.pager.acknowledge(incident_id, "bob")

    assert world.store.timeline[incident_id][-1] == events.IncidentAcknowledged(at=T0, by="bob")


def test_resolve_records_who_resolved_and_why(world: World) -> None:
    incident_id = open_incident(world)

    world.pager.resolve(incident_id, "alice")

    assert world.store.timeline[incident_id][-1] == events.IncidentResolved(
        at=T0, by="alice", reason="resolved by a person"
    )


def test_resolved_alert_records_the_monitor_as_resolver(world: World) -> None:
    incident_id = open_incident(world)

    world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED, source="prometheus"))

    assert world.store.timeline[incident_id][-2:] == [
        events.AlertReceived(at=T0, summary="disk ok", status="resolved", source="prometheus"),
        events.IncidentResolved(at=T0, by="prometheus", reason="the monitor reported the service healthy"),
    ]
