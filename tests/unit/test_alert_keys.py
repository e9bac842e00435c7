"""Resolved alerts: with dedup keys the incident stays open until every keyed alert is resolved."""

from __future__ import annotations

from domain.alerts import Alert, AlertStatus
from domain.model import Health, IncidentId, IncidentState, ServiceId
from domain.pager import AlertResult
from tests.unit.conftest import World


def firing(key: str) -> Alert:
    return Alert(f"{key} is failing", dedup_key=key)


def resolved(key: str | None = None) -> Alert:
    return Alert("back to normal", status=AlertStatus.RESOLVED, dedup_key=key)


def two_keyed_alerts_firing(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", firing("disk"))
    world.pager.on_alert("payments", firing("cpu"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def test_resolving_one_of_two_keyed_alerts_appends_to_the_open_incident(world: World) -> None:
    incident_id = two_keyed_alerts_firing(world)

    outcome = world.pager.on_alert("payments", resolved("disk"))

    assert (outcome.incident_id, outcome.result) == (incident_id, AlertResult.APPENDED)
    assert world.store.incidents[incident_id].state is IncidentState.TRIGGERED
    assert world.store.services[ServiceId("payments")].health is Health.UNHEALTHY


def test_resolving_the_last_keyed_alert_resolves_the_incident(world: World) -> None:
    incident_id = two_keyed_alerts_firing(world)
    world.pager.on_alert("payments", resolved("disk"))

    outcome = world.pager.on_alert("payments", resolved("cpu"))

    assert (outcome.incident_id, outcome.result) == (incident_id, AlertResult.RESOLVED)
    assert world.store.incidents[incident_id].state is IncidentState.RESOLVED
    assert world.store.services[ServiceId("payments")].health is Health.HEALTHY


def test_resolved_alert_without_key_resolves_every_keyed_alert(world: World) -> None:
    incident_id = two_keyed_alerts_firing(world)

    outcome = world.pager.on_alert("payments", resolved())

    assert (outcome.incident_id, outcome.result) == (incident_id, AlertResult.RESOLVED)


def test_resolved_alert_for_a_healthy_service_is_ignored(world: World) -> None:
    outcome = world.pager.on_alert("payments", resolved("disk"))

    assert (outcome.incident_id, outcome.result) == (None, AlertResult.IGNORED)
    assert world.store.incidents == {}
    assert world.wakeups.moments == set()
