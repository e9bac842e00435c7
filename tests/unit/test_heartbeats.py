"""Heartbeats on fakes: a late ping opens an incident through the alert path, the next one resolves it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.alerts import Alert
from domain.errors import HeartbeatNotFound
from domain.heartbeat_model import HeartbeatCheck, HeartbeatState
from domain.model import IncidentId, IncidentState, ServiceId
from domain.pager import AlertResult, Pager
from tests.fakes import T0, InMemoryUnitOfWork
from tests.unit.conftest import World, make_catalog, make_world

BACKUP = HeartbeatCheck(
    "nightly-backup",
    ServiceId("payments"),
    timedelta(hours=24),
    timedelta(minutes=30),
    "Backup did not report",
)
ALLOWANCE = BACKUP.interval + BACKUP.grace


@pytest.fixture
def world() -> World:
    w = make_world(replace(make_catalog(), heartbeats={BACKUP.name: BACKUP}))
    w.pager.engine.rearm()  # as `pager serve` does at start: the heartbeat is first seen now
    return w


def incidents(world: World) -> list[int]:
    """The ids of the incidents paged so far."""
    return sorted({i for _, _, ids in world.sent() for i in ids})


def state(world: World) -> HeartbeatState:
    [view] = world.pager.heartbeats.views()
    return view.state


def test_a_heartbeat_that_never_pings_pages_after_interval_and_grace_from_its_first_sight(
    world: World,
) -> None:
    world.advance(ALLOWANCE - timedelta(seconds=1))
    assert incidents(world) == []

    world.advance(timedelta(seconds=1))

    assert incidents(world) == [1]
    with world.uow() as uow:
        incident = uow.incidents.get(IncidentId(1))
    assert incident is not None and incident.summary == "Backup did not report"


def test_an_expired_heartbeat_pages_once_however_long_it_stays_silent(world: World) -> None:
    world.advance(ALLOWANCE)

    world.advance(timedelta(days=3))

    with world.uow() as uow:
        assert len(uow.incidents.list(list(IncidentState))) == 1
        assert [e.kind for e in uow.timeline.of(IncidentId(1))].count("AlertReceived") == 1


def test_a_ping_before_the_deadline_starts_the_clock_again(world: World) -> None:
    world.advance(timedelta(hours=20))
    world.pager.heartbeats.on_ping(BACKUP.name, "payments")

    world.advance(timedelta(hours=24))

    assert incidents(world) == []
    world.advance(timedelta(hours=1))
    assert incidents(world) == [1]


def test_the_next_ping_resolves_the_incident_its_expiry_opened(world: World) -> None:
    world.advance(ALLOWANCE)

    world.pager.heartbeats.on_ping(BACKUP.name, "payments")

    with world.uow() as uow:
        incident = uow.incidents.get(IncidentId(1))
    assert incident is not None
    assert (incident.state, incident.resolved_by) == (IncidentState.RESOLVED, "heartbeat")
    assert state(world) is HeartbeatState.OK


def test_a_ping_leaves_alone_an_open_incident_its_alert_is_not_firing_on(world: World) -> None:
    world.pager.on_alert("payments", Alert("Payments API down", dedup_key="api"))

    world.pager.heartbeats.on_ping(BACKUP.name, "payments")

    with world.uow() as uow:
        assert uow.incidents.get(IncidentId(1)).state is IncidentState.TRIGGERED  # type: ignore[union-attr]
        assert [e.kind for e in uow.timeline.of(IncidentId(1))].count("AlertReceived") == 1


def test_an_expiry_joins_the_services_open_incident(world: World) -> None:
    [outcome] = world.pager.on_alerts("payments", [Alert("Payments API down", dedup_key="api")])

    world.clock.advance(ALLOWANCE)
    world.wakeups.fire_due()

    with world.uow() as uow:
        assert uow.alerts.is_firing(IncidentId(1), "heartbeat:nightly-backup")
        assert len(uow.incidents.list(list(IncidentState))) == 1
    assert outcome.result is AlertResult.OPENED


def test_a_paused_heartbeat_never_pages(world: World) -> None:
    world.pager.heartbeats.pause(BACKUP.name, by="alice")

    world.advance(3 * ALLOWANCE)

    assert world.sent() == []
    assert state(world) is HeartbeatState.PAUSED


def test_resuming_starts_the_clock_from_the_resume(world: World) -> None:
    world.pager.heartbeats.pause(BACKUP.name, by="alice")
    world.advance(timedelta(days=5))

    world.pager.heartbeats.resume(BACKUP.name)
    world.advance(ALLOWANCE - timedelta(seconds=1))
    assert incidents(world) == []

    world.advance(timedelta(seconds=1))
    assert incidents(world) == [1]


def test_a_ping_while_paused_keeps_it_paused_and_notes_the_ping(world: World) -> None:
    world.pager.heartbeats.pause(BACKUP.name, by="alice")
    world.clock.advance(timedelta(minutes=1))

    record = world.pager.heartbeats.on_ping(BACKUP.name, "payments")

    assert (record.state, record.last_ping_at, record.paused_by) == (
        HeartbeatState.PAUSED,
        T0 + timedelta(minutes=1),
        "alice",
    )


def test_a_ping_authenticated_as_another_service_is_refused(world: World) -> None:
    with pytest.raises(HeartbeatNotFound):
        world.pager.heartbeats.on_ping(BACKUP.name, "search")


def test_an_unknown_heartbeat_cannot_be_paused(world: World) -> None:
    with pytest.raises(HeartbeatNotFound):
        world.pager.heartbeats.pause("nightly-bakcup", by="alice")


def test_a_passed_deadline_shows_overdue_before_the_engine_looks(world: World) -> None:
    world.clock.advance(ALLOWANCE)

    assert state(world) is HeartbeatState.OVERDUE


def test_a_restart_keeps_the_first_sight(world: World) -> None:
    world.clock.advance(ALLOWANCE - timedelta(minutes=1))
    store = world.store
    restarted = Pager(world.pager.catalog, lambda: InMemoryUnitOfWork(store), world.clock, world.wakeups)

    restarted.engine.rearm()

    [view] = restarted.heartbeats.views()
    assert view.record is not None and view.record.deadline == T0 + ALLOWANCE


def test_more_heartbeats_than_a_batch_all_expire_in_one_pass() -> None:
    checks = {f"job-{n}": replace(BACKUP, name=f"job-{n}") for n in range(250)}
    w = make_world(replace(make_catalog(), heartbeats=checks))
    w.pager.engine.rearm()
    w.clock.advance(ALLOWANCE)

    found = w.pager.engine.run_due()

    assert found["heartbeat expiries"] == 250
    with w.uow() as uow:
        assert uow.alerts.firing_count(IncidentId(1)) == 250
