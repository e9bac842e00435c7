"""Maintenance windows through the pager: alerts kept quiet during a window, paged at its end, once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.alerts import Alert, AlertStatus
from domain.errors import UnknownPerson, UnknownService
from domain.maintenance import InvalidWindow, MaintenanceWindow, WindowId, WindowNotFound
from domain.maintenance_service import Maintenance, WindowPlan
from domain.model import IncidentState, ServiceId
from domain.pager import AlertResult
from tests.fakes import T0
from tests.unit.conftest import World

HOUR = timedelta(hours=1)
LEVEL_1 = {"+33612345678", "alice@example.com", "#ops"}


def maintenance(world: World) -> Maintenance:
    return Maintenance(world.pager.catalog, world.uow, world.clock, world.wakeups)


def quiet(world: World, service: str = "payments", duration: timedelta = HOUR) -> MaintenanceWindow:
    return maintenance(world).start(WindowPlan((service,), "deploy", duration=duration), by="alice")


def firing(key: str, summary: str = "disk full") -> Alert:
    return Alert(summary, dedup_key=key)


def resolved(key: str | None) -> Alert:
    return Alert("ok", AlertStatus.RESOLVED, dedup_key=key)


def addresses(world: World) -> set[str]:
    return {address for _, address, _ in world.sent()}


def test_an_alert_during_a_window_is_suppressed_and_pages_nobody(world: World) -> None:
    quiet(world)

    outcome = world.pager.on_alert("payments", firing("disk"))
    world.advance(timedelta(minutes=30))

    assert (outcome.incident_id, outcome.result) == (None, AlertResult.SUPPRESSED)
    assert world.store.incidents == {}
    assert world.sent() == []


def test_a_suppressed_alert_is_kept(world: World) -> None:
    quiet(world)

    world.pager.on_alerts("payments", [firing("disk"), firing("disk")])

    with world.uow() as uow:
        [kept] = uow.suppressed.pending()
    assert (kept.service_id, kept.dedup_key, kept.count) == ("payments", "disk", 2)


def test_an_alert_still_firing_at_the_end_pages_level_1_at_the_end(world: World) -> None:
    quiet(world)
    world.pager.on_alert("payments", firing("disk"))
    world.advance(HOUR - timedelta(seconds=2))  # and a bundle window: a second before the end
    assert world.sent() == []

    world.advance(timedelta(seconds=1))

    [incident] = world.store.incidents.values()
    assert (incident.service_id, incident.summary, incident.opened_at) == ("payments", "disk full", T0 + HOUR)
    assert addresses(world) == LEVEL_1


def test_the_end_of_a_window_pages_once_however_often_the_engine_runs(world: World) -> None:
    quiet(world)
    world.pager.on_alert("payments", firing("disk"))
    world.advance(HOUR)

    world.pager.engine.run_due()
    world.pager.engine.run_due()
    world.deliver()

    assert len(world.store.incidents) == 1
    assert sorted(addresses(world)) == sorted(LEVEL_1) and len(world.sent()) == len(LEVEL_1)


def test_several_suppressed_alerts_open_one_incident_holding_them_all(world: World) -> None:
    quiet(world)
    world.pager.on_alerts("payments", [firing("disk"), firing("cpu", "cpu hot")])
    world.advance(HOUR)

    [incident_id] = world.store.incidents
    with world.uow() as uow:
        assert uow.alerts.firing_count(incident_id) == 2
    assert world.pager.on_alert("payments", resolved("disk")).result is AlertResult.APPENDED
    assert world.pager.on_alert("payments", resolved("cpu")).result is AlertResult.RESOLVED


def test_an_alert_resolved_during_the_window_never_pages(world: World) -> None:
    quiet(world)
    world.pager.on_alert("payments", firing("disk"))

    outcome = world.pager.on_alert("payments", resolved("disk"))

    assert outcome.result is AlertResult.SUPPRESSED
    assert world.pages_after_every_deadline() == []
    assert world.store.incidents == {}


def test_a_resolve_without_a_key_resolves_every_suppressed_alert(world: World) -> None:
    quiet(world)
    world.pager.on_alerts("payments", [firing("disk"), firing("cpu")])

    world.pager.on_alert("payments", resolved(None))

    assert world.pages_after_every_deadline() == []


def test_a_resolve_after_the_end_but_before_the_engine_looked_keeps_it_quiet(world: World) -> None:
    quiet(world)
    world.pager.on_alert("payments", firing("disk"))
    world.clock.advance(HOUR)  # the window is over; its wake-up has not run yet

    outcome = world.pager.on_alert("payments", resolved("disk"))

    assert outcome.result is AlertResult.SUPPRESSED
    assert world.pages_after_every_deadline() == []


def test_a_resolve_for_an_unknown_key_during_a_window_is_ignored(world: World) -> None:
    quiet(world)

    assert world.pager.on_alert("payments", resolved("never-seen")).result is AlertResult.IGNORED


def test_other_services_page_as_usual_during_a_window(world: World) -> None:
    quiet(world, "payments")

    outcome = world.pager.on_alert("search", firing("disk"))
    world.deliver()

    assert outcome.result is AlertResult.OPENED
    assert addresses(world) == LEVEL_1


def test_an_incident_open_before_the_window_keeps_escalating(world: World) -> None:
    opened = world.pager.on_alert("payments", firing("disk"))
    world.deliver()
    world.clear_sent()
    quiet(world)

    joined = world.pager.on_alert("payments", firing("cpu"))
    world.advance(timedelta(minutes=15))

    assert joined.result is AlertResult.APPENDED
    assert opened.incident_id is not None
    assert world.store.incidents[opened.incident_id].level == 2
    assert "bob@example.com" in addresses(world)


def test_an_incident_open_before_the_window_resolves_during_it(world: World) -> None:
    world.pager.on_alert("payments", firing("disk"))
    quiet(world)

    outcome = world.pager.on_alert("payments", resolved("disk"))

    assert outcome.result is AlertResult.RESOLVED


def test_alerts_suppressed_while_an_incident_is_open_at_the_end_join_it(world: World) -> None:
    quiet(world)
    world.pager.on_alert("payments", firing("disk"))
    world.clock.advance(HOUR)  # the window is over; its wake-up has not run yet
    opened = world.pager.on_alert("payments", firing("cpu"))

    world.advance(timedelta(0))

    assert opened.incident_id is not None and list(world.store.incidents) == [opened.incident_id]
    with world.uow() as uow:
        assert uow.alerts.firing_count(opened.incident_id) == 2
    assert len(world.sent()) == len(LEVEL_1)


def test_overlapping_windows_merge_and_page_at_the_last_end(world: World) -> None:
    quiet(world, duration=HOUR)
    quiet(world, duration=2 * HOUR)
    world.pager.on_alert("payments", firing("disk"))

    world.advance(HOUR)  # and a bundle window
    assert world.sent() == []
    world.advance(HOUR - world.dispatcher.policy.bundle_window)

    [incident] = world.store.incidents.values()
    assert incident.opened_at == T0 + 2 * HOUR


def test_ending_a_window_early_pages_what_it_kept_at_once(world: World) -> None:
    window = quiet(world)
    world.pager.on_alert("payments", firing("disk"))
    world.clock.advance(timedelta(minutes=10))

    ended = maintenance(world).end(window.id)
    world.advance(timedelta(0))

    assert ended.ends_at == T0 + timedelta(minutes=10)
    assert addresses(world) == LEVEL_1
    assert [i.state for i in world.store.incidents.values()] == [IncidentState.TRIGGERED]


def test_ending_a_window_yet_to_start_means_it_never_starts(world: World) -> None:
    plan = WindowPlan(("payments",), starts_at=T0 + HOUR, duration=HOUR)
    window = maintenance(world).start(plan, by="bob")

    maintenance(world).end(window.id)
    world.clock.advance(HOUR + timedelta(minutes=1))

    assert world.pager.on_alert("payments", firing("disk")).result is AlertResult.OPENED


def test_ending_an_unknown_window_raises_window_not_found(world: World) -> None:
    with pytest.raises(WindowNotFound):
        maintenance(world).end(WindowId(7))


def test_a_window_by_someone_not_in_the_config_is_refused(world: World) -> None:
    with pytest.raises(UnknownPerson):
        maintenance(world).start(WindowPlan(("payments",), duration=HOUR), by="mallory")


def test_a_window_for_an_unknown_service_is_refused(world: World) -> None:
    with pytest.raises(UnknownService):
        maintenance(world).start(WindowPlan(("billing",), duration=HOUR), by="alice")


@pytest.mark.parametrize(
    "plan",
    [
        WindowPlan(("payments",)),
        WindowPlan(("payments",), ends_at=T0 + HOUR, duration=HOUR),
        WindowPlan(("payments",), ends_at=T0),
        WindowPlan(("payments",), starts_at=T0 - 2 * HOUR, ends_at=T0 - HOUR),
    ],
    ids=["no end", "end and duration", "end not after start", "already over"],
)
def test_a_window_without_a_proper_end_is_refused(world: World, plan: WindowPlan) -> None:
    with pytest.raises(InvalidWindow):
        maintenance(world).start(plan, by="alice")


def test_config_windows_are_stored_once_across_restarts(world: World) -> None:
    window = MaintenanceWindow(WindowId(0), (ServiceId("payments"),), T0, T0 + HOUR, "migration")

    first = maintenance(world).declare([window])
    again = maintenance(world).declare([window])

    assert (first, again) == (1, 0)
    assert world.pager.on_alert("payments", firing("disk")).result is AlertResult.SUPPRESSED


def test_the_view_lists_windows_to_come_and_what_is_kept(world: World) -> None:
    quiet(world)
    world.pager.on_alert("payments", firing("disk"))

    view = maintenance(world).view()

    assert [w.services for w in view.windows] == [("payments",)]
    assert view.quiet == {"payments"}
    assert [a.dedup_key for a in view.suppressed] == ["disk"]


def test_the_end_deadline_is_asked_for_again_at_start(world: World) -> None:
    window = quiet(world)
    world.wakeups.moments.clear()  # as if the stored wake-up were lost

    world.pager.engine.rearm()

    assert window.ends_at in world.wakeups.moments
