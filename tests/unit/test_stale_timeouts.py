"""Late, early, repeated or foreign timeouts change nothing: only the incident's own deadline counts."""

from __future__ import annotations

import copy
from datetime import timedelta

from domain.alerts import Alert, AlertStatus
from domain.events import Event
from domain.model import Incident, IncidentId, Step
from tests.fakes import T0
from tests.unit.conftest import World

LEVEL_1_DEADLINE = T0 + timedelta(minutes=15)


def open_incident(world: World) -> IncidentId:
    """An alert opened an incident and its first pages are already out."""
    outcome = world.pager.on_alert("payments", Alert("disk full"))
    assert outcome.incident_id is not None
    world.deliver()
    world.clear_sent()
    return outcome.incident_id


def snapshot(world: World, incident_id: IncidentId) -> tuple[Incident, list[Event], int]:
    with world.uow() as uow:
        backlog = uow.outbox.backlog()
    return copy.deepcopy(world.store.incidents[incident_id]), list(world.store.timeline[incident_id]), backlog


def test_timeout_for_another_level_changes_nothing(world: World) -> None:
    incident_id = open_incident(world)
    world.clock.current = LEVEL_1_DEADLINE
    before = snapshot(world, incident_id)

    world.pager.on_ack_timeout(incident_id, Step(2, 0))

    assert snapshot(world, incident_id) == before


def test_timeout_for_another_round_changes_nothing(world: World) -> None:
    incident_id = open_incident(world)
    world.clock.current = LEVEL_1_DEADLINE
    before = snapshot(world, incident_id)

    world.pager.on_ack_timeout(incident_id, Step(1, 1))

    assert snapshot(world, incident_id) == before


def test_timeout_after_ack_changes_nothing(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.acknowledge(incident_id, "alice")
    world.clock.current = LEVEL_1_DEADLINE
    before = snapshot(world, incident_id)

    world.pager.on_ack_timeout(incident_id, Step(1, 0))

    assert snapshot(world, incident_id) == before


def test_timeout_after_resolution_changes_nothing(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED))
    world.clock.current = LEVEL_1_DEADLINE
    before = snapshot(world, incident_id)

    world.pager.on_ack_timeout(incident_id, Step(1, 0))

    assert snapshot(world, incident_id) == before


def test_same_timeout_delivered_twice_escalates_once(world: World) -> None:
    incident_id = open_incident(world)
    world.clock.current = LEVEL_1_DEADLINE
    world.pager.on_ack_timeout(incident_id, Step(1, 0))
    before = snapshot(world, incident_id)

    world.pager.on_ack_timeout(incident_id, Step(1, 0))

    assert snapshot(world, incident_id) == before
    assert world.store.incidents[incident_id].level == 2


def test_timeout_before_the_deadline_changes_nothing(world: World) -> None:
    incident_id = open_incident(world)
    world.clock.current = LEVEL_1_DEADLINE - timedelta(minutes=5)
    before = snapshot(world, incident_id)

    world.pager.on_ack_timeout(incident_id, Step(1, 0))
    world.deliver()

    assert snapshot(world, incident_id) == before
    assert world.sent() == []


def test_early_timeout_is_rescheduled_for_the_real_deadline(world: World) -> None:
    incident_id = open_incident(world)
    world.wakeups.moments.clear()  # the scheduler fired early and forgot the wake-up
    world.clock.current = LEVEL_1_DEADLINE - timedelta(minutes=5)

    world.pager.on_ack_timeout(incident_id, Step(1, 0))

    assert world.wakeups.moments == {LEVEL_1_DEADLINE}


def test_timeout_for_an_unknown_incident_is_ignored(world: World) -> None:
    world.pager.on_ack_timeout(IncidentId(42), Step(1, 0))

    assert world.store.incidents == {}
    assert world.wakeups.moments == set()
