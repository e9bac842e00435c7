"""Recovering lost timer wake-ups: the deadlines live on the incidents, the timer is rebuilt from them."""

from __future__ import annotations

from datetime import timedelta

from domain.model import Alert, IncidentId, Step
from tests.fakes import T0
from tests.unit.conftest import World

LEVEL_1_DEADLINE = T0 + timedelta(minutes=15)
BOB_EMAIL = ("email", "bob@example.com", (1,))


def open_incident(world: World, service: str = "payments") -> IncidentId:
    outcome = world.pager.on_alert(service, Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_sweep_escalates_an_overdue_incident_whose_wake_up_was_lost(world: World) -> None:
    incident_id = open_incident(world)
    world.timer.scheduled.clear()
    world.clock.current = LEVEL_1_DEADLINE + timedelta(minutes=1)

    swept = world.pager.sweep_overdue()
    world.deliver()

    assert swept == 1
    assert world.store.incidents[incident_id].level == 1
    assert BOB_EMAIL in world.sent()


def test_sweep_escalates_an_overdue_incident_exactly_once(world: World) -> None:
    open_incident(world)
    world.timer.scheduled.clear()
    world.clock.current = LEVEL_1_DEADLINE + timedelta(minutes=1)

    world.pager.sweep_overdue()
    world.pager.sweep_overdue()
    world.advance(timedelta(0))

    assert world.sent().count(BOB_EMAIL) == 1


def test_sweep_arms_the_next_deadline(world: World) -> None:
    incident_id = open_incident(world)
    world.timer.scheduled.clear()
    swept_at = LEVEL_1_DEADLINE + timedelta(minutes=1)
    world.clock.current = swept_at

    world.pager.sweep_overdue()

    assert world.timer.scheduled == {incident_id: (Step(1, 0), swept_at + timedelta(minutes=10))}


def test_sweep_leaves_incidents_within_their_deadline_alone(world: World) -> None:
    incident_id = open_incident(world)
    world.clock.current = LEVEL_1_DEADLINE - timedelta(seconds=1)

    swept = world.pager.sweep_overdue()

    assert swept == 0
    assert world.store.incidents[incident_id].level == 0


def test_sweep_leaves_acknowledged_incidents_alone(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.acknowledge(incident_id, "alice")
    world.clock.current = LEVEL_1_DEADLINE + timedelta(minutes=1)

    swept = world.pager.sweep_overdue()

    assert swept == 0


def test_reschedule_all_hands_every_pending_deadline_to_the_timer(world: World) -> None:
    payments = open_incident(world, "payments")
    world.clock.advance(timedelta(minutes=1))
    search = open_incident(world, "search")
    world.timer.scheduled.clear()

    rescheduled = world.pager.reschedule_all()

    assert rescheduled == 2
    assert world.timer.scheduled == {
        payments: (Step(0, 0), LEVEL_1_DEADLINE),
        search: (Step(0, 0), LEVEL_1_DEADLINE + timedelta(minutes=1)),
    }


def test_reschedule_all_skips_incidents_no_longer_waiting_for_an_ack(world: World) -> None:
    acknowledged = open_incident(world, "payments")
    world.pager.acknowledge(acknowledged, "alice")
    waiting = open_incident(world, "search")
    world.timer.scheduled.clear()

    world.pager.reschedule_all()

    assert list(world.timer.scheduled) == [waiting]


def test_exhausted_incident_is_neither_swept_nor_rescheduled(world: World) -> None:
    open_incident(world)
    world.advance(timedelta(minutes=15))
    world.advance(timedelta(minutes=10))  # the last level timed out too: escalation exhausted
    world.timer.scheduled.clear()
    world.clock.advance(timedelta(hours=1))

    assert (world.pager.sweep_overdue(), world.pager.reschedule_all()) == (0, 0)
    assert world.timer.scheduled == {}
