"""The pager's core rules: how alerts and acknowledgement timeouts move a service and its incident."""

from __future__ import annotations

from datetime import timedelta

from domain import events
from domain.alerts import Alert, AlertStatus
from domain.model import Health, IncidentId, IncidentState, ServiceId
from domain.pager import AlertResult
from tests.fakes import T0
from tests.unit.conftest import World, make_catalog, make_world

LEVEL_1_TIMEOUT = timedelta(minutes=15)
LEVEL_2_TIMEOUT = timedelta(minutes=10)


def level_1_pages(incident_id: int) -> list[tuple[str, str, tuple[int, ...]]]:
    return sorted(
        [
            ("sms", "+33612345678", (incident_id,)),
            ("email", "alice@example.com", (incident_id,)),
            ("slack", "#ops", (incident_id,)),
        ]
    )


def level_2_pages(incident_id: int) -> list[tuple[str, str, tuple[int, ...]]]:
    return sorted([("email", "bob@example.com", (incident_id,)), ("sms", "+33600000000", (incident_id,))])


def open_incident(world: World, service: str = "payments") -> IncidentId:
    """An alert opened an incident and its first pages are already out."""
    outcome = world.pager.on_alert(service, Alert("disk full"))
    assert outcome.incident_id is not None
    world.deliver()
    world.clear_sent()
    return outcome.incident_id


def wait_for_timeout(world: World, incident_id: IncidentId) -> None:
    """Time runs to the incident's ack deadline: the timeout fires and whatever it pages is sent."""
    deadline = world.store.incidents[incident_id].ack_deadline
    assert deadline is not None
    world.advance(deadline - world.clock.now())


def health(world: World, service: str = "payments") -> Health:
    return world.store.services[ServiceId(service)].health


# 1. A healthy service receives an alert.


def test_alert_on_healthy_service_makes_it_unhealthy(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk full"))

    assert health(world) is Health.UNHEALTHY


def test_alert_on_healthy_service_opens_an_incident_at_level_1(world: World) -> None:
    outcome = world.pager.on_alert("payments", Alert("disk full"))

    assert outcome.result is AlertResult.OPENED
    incident = world.store.incidents[IncidentId(1)]
    assert (incident.state, incident.level, incident.round) == (IncidentState.TRIGGERED, 1, 0)
    assert world.store.services[ServiceId("payments")].open_incident == incident.id


def test_alert_on_healthy_service_notifies_every_target_of_level_1(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk full"))

    world.deliver()

    assert sorted(world.sent()) == level_1_pages(1)


def test_alert_on_healthy_service_sets_deadline_to_now_plus_level_1_timeout(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk full"))

    assert world.store.incidents[IncidentId(1)].ack_deadline == T0 + LEVEL_1_TIMEOUT
    assert world.wakeups.moments == {T0 + LEVEL_1_TIMEOUT}


# 2. Nobody acknowledged before the deadline.


def test_ack_timeout_notifies_every_target_of_the_next_level(world: World) -> None:
    incident_id = open_incident(world)

    wait_for_timeout(world, incident_id)

    assert sorted(world.sent()) == level_2_pages(incident_id)


def test_ack_timeout_sets_deadline_to_the_next_levels_own_timeout(world: World) -> None:
    incident_id = open_incident(world)

    wait_for_timeout(world, incident_id)

    deadline = T0 + LEVEL_1_TIMEOUT + LEVEL_2_TIMEOUT
    incident = world.store.incidents[incident_id]
    assert (incident.level, incident.round, incident.ack_deadline) == (2, 0, deadline)
    assert world.wakeups.moments == {deadline}


# 3. Acknowledged, then the timeout arrives anyway.


def test_timeout_after_ack_notifies_nobody(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.acknowledge(incident_id, "alice")

    world.clock.current = T0 + LEVEL_1_TIMEOUT
    world.wakeups.fire_due()
    world.deliver()

    assert world.sent() == []


def test_timeout_after_ack_sets_no_new_deadline(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.acknowledge(incident_id, "alice")

    world.clock.current = T0 + LEVEL_1_TIMEOUT
    world.wakeups.fire_due()

    assert world.store.incidents[incident_id].ack_deadline is None
    assert world.wakeups.moments == set()


# 4. An unhealthy service receives another alert.


def test_alert_on_unhealthy_service_notifies_nobody(world: World) -> None:
    open_incident(world)

    world.pager.on_alert("payments", Alert("disk still full"))
    world.deliver()

    assert world.sent() == []


def test_alert_on_unhealthy_service_keeps_the_deadline(world: World) -> None:
    incident_id = open_incident(world)

    world.pager.on_alert("payments", Alert("disk still full"))

    assert world.store.incidents[incident_id].ack_deadline == T0 + LEVEL_1_TIMEOUT
    assert world.wakeups.moments == {T0 + LEVEL_1_TIMEOUT}


def test_alert_on_unhealthy_service_is_recorded_on_the_open_incident(world: World) -> None:
    incident_id = open_incident(world)

    outcome = world.pager.on_alert("payments", Alert("disk still full"))

    assert (outcome.incident_id, outcome.result) == (incident_id, AlertResult.APPENDED)
    last = world.store.timeline[incident_id][-1]
    assert isinstance(last, events.AlertReceived)
    assert last.summary == "disk still full"


# 5. The monitor reports the service healthy.


def test_resolved_alert_makes_the_service_healthy(world: World) -> None:
    incident_id = open_incident(world)

    outcome = world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED))

    assert (outcome.incident_id, outcome.result) == (incident_id, AlertResult.RESOLVED)
    assert health(world) is Health.HEALTHY
    assert world.store.incidents[incident_id].state is IncidentState.RESOLVED


def test_timeout_after_resolved_alert_notifies_nobody(world: World) -> None:
    open_incident(world)
    world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED))

    world.clock.current = T0 + LEVEL_1_TIMEOUT
    world.wakeups.fire_due()
    world.deliver()

    assert world.sent() == []
    assert health(world) is Health.HEALTHY


def test_timeout_after_resolved_alert_leaves_no_deadline(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED))

    world.clock.current = T0 + LEVEL_1_TIMEOUT
    world.wakeups.fire_due()

    assert world.store.incidents[incident_id].ack_deadline is None
    assert world.wakeups.moments == set()


def test_alert_after_recovery_opens_a_new_incident_at_level_1(world: World) -> None:
    first = open_incident(world)
    world.pager.on_alert("payments", Alert("disk ok", status=AlertStatus.RESOLVED))

    outcome = world.pager.on_alert("payments", Alert("disk full again"))
    world.deliver()

    assert outcome.result is AlertResult.OPENED
    assert outcome.incident_id is not None and outcome.incident_id != first
    incident = world.store.incidents[outcome.incident_id]
    assert (incident.level, incident.round) == (1, 0)
    assert sorted(world.sent()) == level_1_pages(outcome.incident_id)


# 6. The last level did not acknowledge either.


def test_timeout_after_last_level_starts_over_at_level_1_while_repeats_remain() -> None:
    world = make_world(make_catalog(repeat=1))
    incident_id = open_incident(world)
    wait_for_timeout(world, incident_id)
    world.clear_sent()

    wait_for_timeout(world, incident_id)

    assert sorted(world.sent()) == level_1_pages(incident_id)
    incident = world.store.incidents[incident_id]
    assert (incident.level, incident.round) == (1, 1)
    assert incident.ack_deadline == T0 + LEVEL_1_TIMEOUT + LEVEL_2_TIMEOUT + LEVEL_1_TIMEOUT


def test_timeout_after_last_level_of_last_round_records_exhaustion(world: World) -> None:
    incident_id = open_incident(world)
    wait_for_timeout(world, incident_id)

    wait_for_timeout(world, incident_id)

    exhausted_at = T0 + LEVEL_1_TIMEOUT + LEVEL_2_TIMEOUT
    assert world.store.timeline[incident_id][-1] == events.EscalationExhausted(
        at=exhausted_at, level=2, round=0
    )
    assert world.store.incidents[incident_id].exhausted


def test_exhaustion_comes_after_the_last_repeat_round() -> None:
    world = make_world(make_catalog(repeat=1))
    incident_id = open_incident(world)
    for _ in range(4):
        wait_for_timeout(world, incident_id)

    last = world.store.timeline[incident_id][-1]
    assert isinstance(last, events.EscalationExhausted)
    assert (last.level, last.round) == (2, 1)


def test_exhaustion_notifies_nobody_and_leaves_no_deadline(world: World) -> None:
    incident_id = open_incident(world)
    wait_for_timeout(world, incident_id)
    world.clear_sent()

    wait_for_timeout(world, incident_id)

    assert world.sent() == []
    incident = world.store.incidents[incident_id]
    assert (incident.state, incident.ack_deadline) == (IncidentState.TRIGGERED, None)
    assert world.wakeups.moments == set()
