"""Acknowledging and resolving: who may do it, on which incidents, and what a repeat does."""

from __future__ import annotations

import copy

import pytest

from domain import events
from domain.alerts import Alert
from domain.errors import IncidentAlreadyResolved, IncidentNotFound, UnknownPerson, UnknownService
from domain.model import Health, IncidentId, IncidentState, ServiceId
from tests.unit.conftest import World


def open_incident(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def resolved_incident(world: World) -> IncidentId:
    incident_id = open_incident(world)
    world.pager.resolve(incident_id, "alice")
    return incident_id


def test_ack_stops_the_escalation(world: World) -> None:
    incident_id = open_incident(world)

    world.pager.acknowledge(incident_id, "alice")

    incident = world.store.incidents[incident_id]
    assert (incident.state, incident.acknowledged_by, incident.ack_deadline) == (
        IncidentState.ACKNOWLEDGED,
        "alice",
        None,
    )
    assert world.pages_after_every_deadline() == []


def test_resolve_by_a_person_makes_the_service_healthy(world: World) -> None:
    incident_id = open_incident(world)

    world.pager.resolve(incident_id, "bob")

    incident = world.store.incidents[incident_id]
    assert (incident.state, incident.resolved_by) == (IncidentState.RESOLVED, "bob")
    assert world.store.services[ServiceId("payments")].health is Health.HEALTHY
    assert world.pages_after_every_deadline() == []


def test_ack_of_unknown_incident_raises_incident_not_found(world: World) -> None:
    with pytest.raises(IncidentNotFound):
        world.pager.acknowledge(IncidentId(42), "alice")


def test_resolve_of_unknown_incident_raises_incident_not_found(world: World) -> None:
    with pytest.raises(IncidentNotFound):
        world.pager.resolve(IncidentId(42), "alice")


def test_ack_of_resolved_incident_raises_already_resolved_and_changes_nothing(world: World) -> None:
    incident_id = resolved_incident(world)
    before = copy.deepcopy(world.store)

    with pytest.raises(IncidentAlreadyResolved):
        world.pager.acknowledge(incident_id, "bob")

    assert world.store == before


def test_resolve_of_resolved_incident_raises_already_resolved_and_changes_nothing(world: World) -> None:
    incident_id = resolved_incident(world)
    before = copy.deepcopy(world.store)

    with pytest.raises(IncidentAlreadyResolved):
        world.pager.resolve(incident_id, "bob")

    assert world.store == before


def test_second_ack_is_a_no_op(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.acknowledge(incident_id, "alice")

    world.pager.acknowledge(incident_id, "bob")

    assert world.store.incidents[incident_id].acknowledged_by == "alice"
    acks = [e for e in world.store.timeline[incident_id] if isinstance(e, events.IncidentAcknowledged)]
    assert [a.by for a in acks] == ["alice"]


def test_ack_by_a_person_not_in_the_catalog_raises_unknown_person(world: World) -> None:
    incident_id = open_incident(world)

    with pytest.raises(UnknownPerson):
        world.pager.acknowledge(incident_id, "mallory")

    assert world.store.incidents[incident_id].state is IncidentState.TRIGGERED


def test_resolve_by_a_person_not_in_the_catalog_raises_unknown_person(world: World) -> None:
    incident_id = open_incident(world)

    with pytest.raises(UnknownPerson):
        world.pager.resolve(incident_id, "mallory")

    assert world.store.incidents[incident_id].state is IncidentState.TRIGGERED


def test_alert_for_unknown_service_raises_unknown_service(world: World) -> None:
    with pytest.raises(UnknownService):
        world.pager.on_alert("billing", Alert("disk full"))

    assert world.store.incidents == {}
    assert world.store.services == {}
