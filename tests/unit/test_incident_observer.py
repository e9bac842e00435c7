"""The pager tells its observer (Slack cards) of each committed change of state, and of nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.alerts import Alert, AlertStatus
from domain.model import Incident, IncidentId, IncidentState, Step
from domain.observing_ports import IncidentObserver
from domain.pager import Pager
from tests.fakes import InMemoryUnitOfWork
from tests.unit.conftest import World


class RecordingObserver:
    def __init__(self, world: World) -> None:
        self.world = world
        self.seen: list[tuple[int, IncidentState, int, bool]] = []
        self.committed: list[bool] = []

    def incident_changed(self, incident: Incident) -> None:
        self.seen.append((int(incident.id), incident.state, incident.level, incident.exhausted))
        stored = self.world.store.incidents[incident.id]
        self.committed.append(stored.state is incident.state and stored.level == incident.level)


@pytest.fixture
def observer(world: World) -> RecordingObserver:
    recording = RecordingObserver(world)
    observing: IncidentObserver = recording
    world.pager = Pager(
        world.pager.catalog,
        lambda: InMemoryUnitOfWork(world.store),
        world.clock,
        world.wakeups,
        observer=observing,
    )
    world.wakeups.engine = world.pager.engine
    return recording


def opened(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_opening_an_incident_is_not_observed(world: World, observer: RecordingObserver) -> None:
    opened(world)
    world.pager.on_alert("payments", Alert("disk still full"))

    assert observer.seen == []


def test_an_acknowledgement_is_observed_after_commit(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)

    world.pager.acknowledge(incident_id, "alice")

    assert observer.seen == [(incident_id, IncidentState.ACKNOWLEDGED, 1, False)]
    assert observer.committed == [True]


def test_a_repeated_acknowledgement_is_not_observed(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)
    world.pager.acknowledge(incident_id, "alice")

    world.pager.acknowledge(incident_id, "bob")

    assert len(observer.seen) == 1


def test_a_resolve_by_a_person_is_observed(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)

    world.pager.resolve(incident_id, "bob")

    assert observer.seen == [(incident_id, IncidentState.RESOLVED, 1, False)]


def test_a_resolve_by_the_monitor_is_observed(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)

    world.pager.on_alert("payments", Alert("ok", status=AlertStatus.RESOLVED))

    assert observer.seen == [(incident_id, IncidentState.RESOLVED, 1, False)]


def test_an_escalation_is_observed_with_the_new_level(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)

    world.advance(timedelta(minutes=15))

    assert observer.seen == [(incident_id, IncidentState.TRIGGERED, 2, False)]
    assert observer.committed == [True]


def test_running_out_of_levels_is_observed(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)
    world.advance(timedelta(minutes=15))

    world.advance(timedelta(minutes=10))

    assert observer.seen[-1] == (incident_id, IncidentState.TRIGGERED, 2, True)


def test_a_stale_timeout_is_not_observed(world: World, observer: RecordingObserver) -> None:
    incident_id = opened(world)
    world.pager.acknowledge(incident_id, "alice")
    world.clock.advance(timedelta(minutes=20))

    world.pager.on_ack_timeout(incident_id, Step(1, 0))

    assert len(observer.seen) == 1
