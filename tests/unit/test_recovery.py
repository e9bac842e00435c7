"""Recovering lost wake-ups: the deadlines live on the incidents, and the engine finds them there."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.alerts import Alert
from domain.errors import SweepFailed
from domain.events import EscalationExhausted
from domain.model import IncidentId, PolicyId, ServiceId, Step
from domain.pager import Pager
from tests.fakes import T0, InMemoryUnitOfWork
from tests.unit.conftest import World, make_world

LEVEL_1_DEADLINE = T0 + timedelta(minutes=15)
BOB_EMAIL = ("email", "bob@example.com", (1,))


def open_incident(world: World, service: str = "payments") -> IncidentId:
    outcome = world.pager.on_alert(service, Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_sweep_escalates_an_overdue_incident_whose_wake_up_was_lost(world: World) -> None:
    incident_id = open_incident(world)
    world.wakeups.moments.clear()
    world.clock.current = LEVEL_1_DEADLINE + timedelta(minutes=1)

    swept = world.pager.sweep_overdue()
    world.deliver()

    assert swept == 1
    assert world.store.incidents[incident_id].level == 2
    assert BOB_EMAIL in world.sent()


def test_sweep_escalates_an_overdue_incident_exactly_once(world: World) -> None:
    open_incident(world)
    world.wakeups.moments.clear()
    world.clock.current = LEVEL_1_DEADLINE + timedelta(minutes=1)

    world.pager.sweep_overdue()
    world.pager.sweep_overdue()
    world.advance(timedelta(0))

    assert world.sent().count(BOB_EMAIL) == 1


def test_sweep_arms_the_next_deadline(world: World) -> None:
    open_incident(world)
    world.wakeups.moments.clear()
    swept_at = LEVEL_1_DEADLINE + timedelta(minutes=1)
    world.clock.current = swept_at

    world.pager.sweep_overdue()

    assert world.wakeups.moments == {swept_at + timedelta(minutes=10)}


def test_sweep_leaves_incidents_within_their_deadline_alone(world: World) -> None:
    incident_id = open_incident(world)
    world.clock.current = LEVEL_1_DEADLINE - timedelta(seconds=1)

    swept = world.pager.sweep_overdue()

    assert swept == 0
    assert world.store.incidents[incident_id].level == 1


def test_sweep_leaves_acknowledged_incidents_alone(world: World) -> None:
    incident_id = open_incident(world)
    world.pager.acknowledge(incident_id, "alice")
    world.clock.current = LEVEL_1_DEADLINE + timedelta(minutes=1)

    swept = world.pager.sweep_overdue()

    assert swept == 0


def test_rearming_asks_for_a_wake_up_at_every_pending_deadline(world: World) -> None:
    open_incident(world, "payments")
    world.clock.advance(timedelta(minutes=1))
    open_incident(world, "search")
    world.wakeups.moments.clear()

    rearmed = world.pager.engine.rearm()

    assert rearmed == 2
    assert world.wakeups.moments == {LEVEL_1_DEADLINE, LEVEL_1_DEADLINE + timedelta(minutes=1)}


def test_rearming_skips_incidents_no_longer_waiting_for_an_ack(world: World) -> None:
    acknowledged = open_incident(world, "payments")
    world.pager.acknowledge(acknowledged, "alice")
    world.clock.advance(timedelta(minutes=1))
    open_incident(world, "search")
    world.wakeups.moments.clear()

    world.pager.engine.rearm()

    assert world.wakeups.moments == {LEVEL_1_DEADLINE + timedelta(minutes=1)}


def test_exhausted_incident_is_neither_swept_nor_rearmed(world: World) -> None:
    open_incident(world)
    world.advance(timedelta(minutes=15))
    world.advance(timedelta(minutes=10))  # the last level timed out too: escalation exhausted
    world.wakeups.moments.clear()
    world.clock.advance(timedelta(hours=1))

    assert (world.pager.sweep_overdue(), world.pager.engine.rearm()) == (0, 0)
    assert world.wakeups.moments == set()


def test_sweep_drives_every_overdue_incident_even_when_one_fails() -> None:
    w = make_world()
    w.pager.on_alert("payments", Alert("DB down"))
    w.pager.on_alert("search", Alert("slow"))
    w.wakeups.moments.clear()
    w.clock.advance(timedelta(minutes=15))
    broken = Pager(
        replace(w.pager.catalog, policies={}), w.uow, w.clock, w.wakeups
    )  # a catalog whose policies went missing: every re-drive fails

    with pytest.raises(SweepFailed) as failed:
        broken.sweep_overdue()

    assert sorted(i for i, _ in failed.value.failures) == [1, 2]


def test_timeout_of_an_incident_whose_service_left_the_config_stops_and_says_why() -> None:
    w = make_world()
    w.pager.on_alert("payments", Alert("DB down"))
    w.clock.advance(timedelta(minutes=15))
    without_payments = {k: v for k, v in w.pager.catalog.services.items() if k != "payments"}
    pager = Pager(replace(w.pager.catalog, services=without_payments), w.uow, w.clock, w.wakeups)

    pager.on_ack_timeout(IncidentId(1), Step(1, 0))

    with w.uow() as uow:
        incident = uow.incidents.get(IncidentId(1))
        last = uow.timeline.of(IncidentId(1))[-1]
    assert incident is not None and incident.exhausted and incident.ack_deadline is None
    assert isinstance(last, EscalationExhausted) and "no longer in the config" in last.reason


def test_the_sweep_escalates_a_burst_of_deadlines_in_one_unit_of_work_per_batch() -> None:
    w = make_world()
    units = 0

    def counted() -> InMemoryUnitOfWork:
        nonlocal units
        units += 1
        return InMemoryUnitOfWork(w.store)

    w.pager.on_alert("payments", Alert("DB down"))
    w.pager.on_alert("search", Alert("slow"))
    w.clock.advance(timedelta(minutes=15))
    rings = w.doorbell.rings
    pager = Pager(w.pager.catalog, counted, w.clock, w.wakeups, w.doorbell)

    swept = pager.sweep_overdue()

    # one unit reads, locks and escalates both; the second finds nothing more is due
    assert (swept, units, w.doorbell.rings - rings) == (2, 1, 1)
    assert [w.store.incidents[IncidentId(i)].level for i in (1, 2)] == [2, 2]


def test_the_sweep_takes_a_backlog_batch_after_batch() -> None:
    w = make_world()
    for service in ("payments", "search"):
        w.pager.on_alert(service, Alert("down"))
    w.clock.advance(timedelta(minutes=15))

    swept = w.pager.sweep_overdue(batch=1)

    assert swept == 2
    assert [w.store.incidents[IncidentId(i)].level for i in (1, 2)] == [2, 2]


def test_one_broken_incident_in_a_batch_does_not_hold_back_the_others() -> None:
    w = make_world()
    w.pager.on_alert("payments", Alert("DB down"))
    w.pager.on_alert("search", Alert("slow"))
    w.clock.advance(timedelta(minutes=15))
    services = dict(w.pager.catalog.services)
    # search's policy went missing from the catalog: its escalation fails, payments' does not
    services[ServiceId("search")] = replace(services[ServiceId("search")], policy=PolicyId("gone"))
    catalog = replace(w.pager.catalog, services=services)
    pager = Pager(catalog, w.uow, w.clock, w.wakeups, w.doorbell)

    with pytest.raises(SweepFailed) as failed:
        pager.sweep_overdue()

    assert [i for i, _ in failed.value.failures] == [2]
    assert w.store.incidents[IncidentId(1)].level == 2
