"""Several alerts in one notification, and acknowledgements from a monitor rather than a person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import events
from domain.alerts import Alert, AlertStatus
from domain.errors import UnknownService
from domain.model import Health, IncidentId, IncidentState, ServiceId
from domain.pager import AlertOutcome, AlertResult
from tests.unit.conftest import World

FIRING, RESOLVED = AlertStatus.FIRING, AlertStatus.RESOLVED


def alert(key: str, status: AlertStatus = FIRING) -> Alert:
    return Alert(f"{key} is failing", status=status, dedup_key=key, source="alertmanager")


def kinds(world: World, incident_id: int) -> list[str]:
    return [e.kind for e in world.store.timeline[IncidentId(incident_id)]]


def test_two_firing_alerts_open_one_incident_and_page_once(world: World) -> None:
    outcomes = world.pager.on_alerts("payments", [alert("a"), alert("b")])

    assert [o.result for o in outcomes] == [AlertResult.OPENED, AlertResult.APPENDED]
    assert len(world.store.incidents) == 1
    assert kinds(world, 1).count("LevelPaged") == 1
    assert world.doorbell.rings == 1


def test_the_incident_resolves_only_when_its_last_alert_resolves(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a"), alert("b")])

    first = world.pager.on_alerts("payments", [alert("a", RESOLVED)])
    second = world.pager.on_alerts("payments", [alert("b", RESOLVED)])

    assert (first[0].result, second[0].result) == (AlertResult.APPENDED, AlertResult.RESOLVED)
    assert world.store.services[ServiceId("payments")].health is Health.HEALTHY
    assert world.pages_after_every_deadline() == []


def test_the_timeline_says_why_the_incident_resolved(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a")])

    world.pager.on_alerts("payments", [alert("a", RESOLVED)])

    resolved = world.store.timeline[IncidentId(1)][-1]
    assert isinstance(resolved, events.IncidentResolved)
    assert (resolved.by, resolved.reason) == ("alertmanager", "every alert resolved")


def test_firing_alerts_are_applied_before_resolved_ones(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a")])

    outcomes = world.pager.on_alerts("payments", [alert("a", RESOLVED), alert("b")])

    assert outcomes == [AlertOutcome(IncidentId(1), AlertResult.APPENDED)] * 2
    assert len(world.store.incidents) == 1
    assert world.store.incidents[IncidentId(1)].state is IncidentState.TRIGGERED


def test_every_alert_of_a_batch_is_on_the_timeline_of_the_incident_it_joined(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a"), alert("b")])

    received = [e for e in world.store.timeline[IncidentId(1)] if isinstance(e, events.AlertReceived)]

    assert [(e.dedup_key, e.source) for e in received] == [("a", "alertmanager"), ("b", "alertmanager")]


def test_a_batch_that_fails_stores_nothing(world: World) -> None:
    with pytest.raises(UnknownService):
        world.pager.on_alerts("billing", [alert("a")])

    assert world.store.incidents == {}


def test_a_batch_resolving_every_alert_stops_the_escalation(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a"), alert("b")])
    world.deliver()
    world.clear_sent()

    world.pager.on_alerts("payments", [alert("a", RESOLVED), alert("b", RESOLVED)])
    world.advance(timedelta(hours=1))

    assert world.sent() == []


def test_an_alert_acknowledged_by_its_monitor_stops_the_escalation(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a")])

    outcome = world.pager.acknowledge_alert("payments", "a", by="integration:pagerduty")

    incident = world.store.incidents[IncidentId(1)]
    assert outcome == AlertOutcome(IncidentId(1), AlertResult.ACKNOWLEDGED)
    assert (incident.state, incident.acknowledged_by) == (IncidentState.ACKNOWLEDGED, "integration:pagerduty")
    assert world.pages_after_every_deadline() == []


def test_acknowledging_a_key_that_is_not_firing_changes_nothing(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a"), alert("b", RESOLVED)])

    outcome = world.pager.acknowledge_alert("payments", "b", by="integration:pagerduty")

    assert outcome == AlertOutcome(None, AlertResult.IGNORED)
    assert world.store.incidents[IncidentId(1)].state is IncidentState.TRIGGERED


def test_acknowledging_on_a_healthy_service_changes_nothing(world: World) -> None:
    outcome = world.pager.acknowledge_alert("payments", "a", by="integration:pagerduty")

    assert outcome == AlertOutcome(None, AlertResult.IGNORED)
    assert world.store.incidents == {}


def test_an_acknowledged_incident_is_not_paged_again_after_its_timeout(world: World) -> None:
    world.pager.on_alerts("payments", [alert("a")])
    world.deliver()
    world.clear_sent()

    world.pager.acknowledge_alert("payments", "a", by="integration:pagerduty")
    world.advance(timedelta(hours=1))

    assert world.sent() == []
