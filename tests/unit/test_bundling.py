"""One page per address: repeated alerts, close incidents and overlapping targets never page twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.alerts import Alert
from domain.model import Channel, EscalationPolicy, Level, PolicyId
from tests.unit.conftest import World, make_catalog, make_world, targets

HALF_A_WINDOW = timedelta(milliseconds=500)


def test_two_alerts_for_one_service_open_one_incident(world: World) -> None:
    first = world.pager.on_alert("payments", Alert("disk full"))

    second = world.pager.on_alert("payments", Alert("disk still full"))

    assert second.incident_id == first.incident_id
    assert list(world.store.incidents) == [first.incident_id]


def test_two_alerts_for_one_service_notify_each_target_once(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk full"))
    world.pager.on_alert("payments", Alert("disk still full"))

    world.deliver()

    assert sorted(world.sent()) == [
        ("email", "alice@example.com", (1,)),
        ("slack", "#ops", (1,)),
        ("sms", "+33612345678", (1,)),
    ]


def test_two_services_alerting_within_the_bundle_window_share_one_page_per_address(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk full"))
    world.clock.advance(HALF_A_WINDOW)
    world.pager.on_alert("search", Alert("index stale"))

    world.deliver()

    assert sorted(world.sent()) == [
        ("email", "alice@example.com", (1, 2)),
        ("slack", "#ops", (1, 2)),
        ("sms", "+33612345678", (1, 2)),
    ]


def test_bundled_page_names_each_service(world: World) -> None:
    world.pager.on_alert("payments", Alert("disk full"))
    world.pager.on_alert("search", Alert("index stale"))

    world.deliver()

    [page] = world.notifiers[Channel.SLACK].sent
    assert [(i.service_name, i.summary) for i in page.items] == [
        ("Payments API", "disk full"),
        ("Search", "index stale"),
    ]


def test_address_reached_through_two_targets_of_one_level_is_notified_once() -> None:
    carol_and_her_number = EscalationPolicy(
        PolicyId("default"), (Level(targets("person:carol", "sms:+33600000001")),)
    )
    world = make_world(replace(make_catalog(), policies={carol_and_her_number.id: carol_and_her_number}))

    world.pager.on_alert("payments", Alert("disk full"))
    world.deliver()

    assert world.sent() == [("sms", "+33600000001", (1,))]
