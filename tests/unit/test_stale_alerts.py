"""Monitors retry: a late or repeated notification of an alert episode already over changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.alerts import LATE_RETRY_WINDOW, Alert, AlertStatus
from domain.model import IncidentState, ServiceId
from domain.pager import AlertResult
from tests.fakes import T0
from tests.unit.conftest import World
from tests.unit.test_pager_metrics import metered


def minute(n: int) -> datetime:
    return T0 - timedelta(hours=1) + timedelta(minutes=n)


def firing(key: str = "fp1", starts: int = 0) -> Alert:
    return Alert(f"{key} is failing", dedup_key=key, source="alertmanager", starts_at=minute(starts))


def resolved(key: str = "fp1", starts: int = 0, ends: int = 10) -> Alert:
    return Alert(
        "back to normal",
        AlertStatus.RESOLVED,
        dedup_key=key,
        source="alertmanager",
        starts_at=minute(starts),
        ends_at=minute(ends),
    )


def fired_and_resolved(world: World) -> None:
    """Episode 0-10 of fp1: its incident paged, then resolved by the monitor."""
    world.pager.on_alert("payments", firing())
    world.deliver()
    world.pager.on_alert("payments", resolved())
    world.clear_sent()


def test_a_firing_retried_after_its_resolution_is_ignored_and_pages_nobody(world: World) -> None:
    fired_and_resolved(world)

    outcome = world.pager.on_alert("payments", firing())
    world.advance(timedelta(hours=1))

    assert (outcome.incident_id, outcome.result) == (None, AlertResult.IGNORED)
    assert [i.state for i in world.store.incidents.values()] == [IncidentState.RESOLVED]
    assert world.sent() == []


def test_a_firing_that_started_exactly_when_the_episode_ended_is_stale(world: World) -> None:
    fired_and_resolved(world)

    outcome = world.pager.on_alert("payments", firing(starts=10))

    assert outcome.result is AlertResult.IGNORED


def test_a_firing_that_started_after_the_resolution_opens_a_new_incident(world: World) -> None:
    fired_and_resolved(world)

    outcome = world.pager.on_alert("payments", firing(starts=11))
    world.deliver()

    assert (outcome.incident_id, outcome.result) == (2, AlertResult.OPENED)
    assert world.sent() != []


def test_a_stale_firing_leaves_the_open_incident_of_another_alert_alone(world: World) -> None:
    fired_and_resolved(world)
    opened = world.pager.on_alert("payments", firing("fp2", starts=20))

    outcome = world.pager.on_alert("payments", firing())

    assert outcome.result is AlertResult.IGNORED
    assert opened.incident_id is not None
    with world.uow() as uow:
        received = [e for e in uow.timeline.of(opened.incident_id) if e.kind == "AlertReceived"]
        assert (uow.alerts.firing_count(opened.incident_id), len(received)) == (1, 1)


def test_a_firing_retried_after_its_alert_resolved_keeps_the_incident_closable(world: World) -> None:
    first = world.pager.on_alert("payments", firing("fp1"))
    world.pager.on_alert("payments", firing("fp2"))
    world.pager.on_alert("payments", resolved("fp1"))

    retried = world.pager.on_alert("payments", firing("fp1"))
    last = world.pager.on_alert("payments", resolved("fp2"))

    assert retried.result is AlertResult.IGNORED
    assert (last.incident_id, last.result) == (first.incident_id, AlertResult.RESOLVED)


def test_a_late_resolution_of_an_earlier_episode_does_not_resolve_the_new_one(world: World) -> None:
    world.pager.on_alert("payments", firing(starts=0))
    new = world.pager.on_alert("payments", firing(starts=20))  # its resolution of 0-10 is still retrying

    late = world.pager.on_alert("payments", resolved(starts=0, ends=10))

    assert late.result is AlertResult.IGNORED
    assert new.incident_id is not None
    assert world.store.incidents[new.incident_id].state is IncidentState.TRIGGERED


def test_a_late_resolution_after_the_new_episode_opened_its_own_incident_is_ignored(world: World) -> None:
    fired_and_resolved(world)
    new = world.pager.on_alert("payments", firing(starts=20))

    late = world.pager.on_alert("payments", resolved(starts=0, ends=10))

    assert late.result is AlertResult.IGNORED
    assert new.incident_id is not None
    assert world.store.incidents[new.incident_id].state is IncidentState.TRIGGERED


def test_the_resolution_of_the_episode_firing_resolves_it(world: World) -> None:
    world.pager.on_alert("payments", firing(starts=0))
    world.pager.on_alert("payments", firing(starts=20))

    outcome = world.pager.on_alert("payments", resolved(starts=20, ends=30))

    assert outcome.result is AlertResult.RESOLVED


def test_a_repeated_resolution_is_ignored(world: World) -> None:
    fired_and_resolved(world)
    world.pager.on_alert("payments", firing("fp2", starts=20))

    outcome = world.pager.on_alert("payments", resolved())

    assert outcome.result is AlertResult.IGNORED


def test_in_one_notification_group_a_retry_after_the_resolution_is_ignored(world: World) -> None:
    world.pager.on_alert("payments", firing("fp2"))  # keeps the service's incident open

    outcomes = world.pager.on_alert_groups(
        [("payments", [firing()]), ("payments", [resolved()]), ("payments", [firing()])]
    )

    assert [o[0].result for o in outcomes] == [
        AlertResult.APPENDED,
        AlertResult.APPENDED,
        AlertResult.IGNORED,
    ]


def test_in_one_group_a_retry_after_the_incident_closed_opens_nothing(world: World) -> None:
    outcomes = world.pager.on_alert_groups(
        [("payments", [firing()]), ("payments", [resolved()]), ("payments", [firing()])]
    )

    assert [o[0].result for o in outcomes] == [
        AlertResult.OPENED,
        AlertResult.RESOLVED,
        AlertResult.IGNORED,
    ]
    assert len(world.store.incidents) == 1


def test_alerts_without_the_monitor_times_are_never_stale(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk", dedup_key="fp1"))
    world.pager.on_alert("payments", Alert("ok", AlertStatus.RESOLVED, dedup_key="fp1"))

    outcome = world.pager.on_alert("payments", Alert("disk", dedup_key="fp1"))

    assert outcome.result is AlertResult.OPENED


def test_after_a_person_resolved_the_incident_the_monitor_still_firing_opens_a_new_one(world: World) -> None:
    first = world.pager.on_alert("payments", firing())
    assert first.incident_id is not None
    world.pager.resolve(first.incident_id, "alice")

    outcome = world.pager.on_alert("payments", firing())

    assert outcome.result is AlertResult.OPENED


def test_the_same_key_on_another_service_is_another_alert(world: World) -> None:
    fired_and_resolved(world)

    outcome = world.pager.on_alert("search", firing())

    assert outcome.result is AlertResult.OPENED
    assert world.store.services[ServiceId("search")].open_incident == outcome.incident_id


def test_a_stale_alert_is_counted_as_ignored() -> None:
    world, metrics = metered()
    fired_and_resolved(world)

    world.pager.on_alert("payments", firing())

    assert metrics.alerts[("alertmanager", "ignored")] == 1


def test_a_firing_as_old_as_the_resolved_episode_pages_once_the_retry_window_is_over(world: World) -> None:
    """Prometheus sends an alert again with its old start after its link to Alertmanager was down for
    longer than the alert's endsAt: a real new firing, not a retry, and it must page."""
    fired_and_resolved(world)
    world.clock.advance(LATE_RETRY_WINDOW + timedelta(seconds=1))

    outcome = world.pager.on_alert("payments", firing())
    world.deliver()

    assert outcome.result is AlertResult.OPENED
    assert world.sent() != []


def test_a_firing_as_old_as_the_resolved_episode_within_the_retry_window_is_stale(world: World) -> None:
    fired_and_resolved(world)
    world.clock.advance(LATE_RETRY_WINDOW)

    outcome = world.pager.on_alert("payments", firing())

    assert outcome.result is AlertResult.IGNORED
