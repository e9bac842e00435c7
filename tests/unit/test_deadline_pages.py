"""Pages the engine makes when a deadline passes: the commit rings the relay's doorbell, and the page is due
one bundling window after the deadline, as an alert's page is one window after the alert."""

from __future__ import annotations

from datetime import timedelta

from domain.alerts import Alert
from domain.model import IncidentId
from tests.unit.conftest import World

LEVEL_1_TIMEOUT = timedelta(minutes=15)  # the default policy of the unit world
LEVEL_2_SMS = ("sms", "+33600000000")


def open_incidents(world: World, *services: str) -> list[IncidentId]:
    opened = [world.pager.on_alert(service, Alert(f"{service} down")).incident_id for service in services]
    world.deliver()  # level 1's pages leave
    world.clear_sent()
    return [incident_id for incident_id in opened if incident_id is not None]


def level_2_sms_sent(world: World) -> int:
    return sum(1 for channel, address, _ in world.sent() if (channel, address) == LEVEL_2_SMS)


def test_after_the_engine_pages_level_2_the_relays_doorbell_has_rung(world: World) -> None:
    open_incidents(world, "payments")
    rings = world.doorbell.rings

    world.clock.advance(LEVEL_1_TIMEOUT)
    world.wakeups.fire_due()

    assert world.doorbell.rings == rings + 1


def test_one_engine_pass_escalating_several_incidents_rings_once(world: World) -> None:
    open_incidents(world, "payments", "search")
    rings = world.doorbell.rings

    world.clock.advance(LEVEL_1_TIMEOUT)
    world.wakeups.fire_due()

    assert world.doorbell.rings == rings + 1


def test_an_engine_pass_that_pages_nobody_leaves_the_doorbell_alone(world: World) -> None:
    [incident_id] = open_incidents(world, "payments")
    world.pager.acknowledge(incident_id, "alice")
    rings = world.doorbell.rings

    world.clock.advance(LEVEL_1_TIMEOUT)
    world.wakeups.fire_due()

    assert world.doorbell.rings == rings


def test_a_level_paged_at_its_deadline_is_due_one_bundling_window_later_not_before(world: World) -> None:
    open_incidents(world, "payments")
    window = world.dispatcher.policy.bundle_window
    world.clock.advance(LEVEL_1_TIMEOUT)
    world.wakeups.fire_due()  # the engine runs at the deadline

    world.clock.advance(window - timedelta(milliseconds=1))
    world.dispatcher.dispatch_due()
    early = level_2_sms_sent(world)
    world.clock.advance(timedelta(milliseconds=1))
    world.dispatcher.dispatch_due()

    assert (early, level_2_sms_sent(world)) == (0, 1)
