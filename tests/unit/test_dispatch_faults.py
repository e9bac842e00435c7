"""The dispatcher under provider faults: Retry-After, slow sends eating leases, levels nobody reached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from domain import events
from domain.alerts import Alert
from domain.delivery_ports import Page
from domain.errors import SendFailed
from domain.model import Channel, IncidentId
from tests.fakes import T0, RecordingNotifier
from tests.unit.conftest import World

ALICE_SMS, ALICE_EMAIL = "+33612345678", "alice@example.com"


class SlowNotifier(RecordingNotifier):
    """Its first send takes a while (the clock moves on), and something may happen meanwhile."""

    def __init__(self, world: World, takes: timedelta, meanwhile: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self._world, self._takes, self._meanwhile = world, takes, meanwhile
        self._slow = True

    def send(self, page: Page) -> None:
        if self._slow:
            self._slow = False
            self._world.clock.advance(self._takes)
            self._meanwhile()
        super().send(page)


def alert(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def timeline(world: World, incident_id: IncidentId, kind: type[events.Event]) -> list[events.Event]:
    return [e for e in world.store.timeline[incident_id] if isinstance(e, kind)]


def fail_for_good(world: World, *channels: Channel) -> None:
    for channel in channels:
        world.notifiers[channel].failures.append(SendFailed(f"{channel} refused", permanent=True))


def test_a_rate_limited_page_waits_as_long_as_the_provider_asked(world: World) -> None:
    limited = SendFailed("429", permanent=False, retry_after=300)
    world.notifiers[Channel.SLACK].failures.append(limited)
    alert(world)
    world.deliver()

    world.clock.advance(timedelta(seconds=299))
    world.dispatcher.dispatch_due()
    early = world.notifiers[Channel.SLACK].addresses()
    world.clock.advance(timedelta(seconds=1))
    world.dispatcher.dispatch_due()

    assert (early, world.notifiers[Channel.SLACK].addresses()) == ([], ["#ops"])


def test_a_page_cancelled_while_an_earlier_page_was_slow_is_not_sent(world: World) -> None:
    incident_id = alert(world)
    world.notifiers[Channel.SMS] = SlowNotifier(
        world, timedelta(seconds=30), lambda: world.pager.acknowledge(incident_id, "alice")
    )

    world.deliver()

    assert world.sent() == [("sms", ALICE_SMS, (1,))]


def test_a_page_whose_lease_ran_out_behind_a_slow_send_is_sent_once(world: World) -> None:
    """A send over its budget lets another sender re-claim the pages queued behind it; the first
    sender must then leave them to it rather than send them a second time."""
    world.notifiers[Channel.SMS] = SlowNotifier(world, timedelta(seconds=70), world.dispatcher.dispatch_due)
    alert(world)

    world.deliver()

    assert world.notifiers[Channel.EMAIL].addresses() == [ALICE_EMAIL]
    assert world.notifiers[Channel.SLACK].addresses() == ["#ops"]


def test_a_page_sent_late_in_a_slow_pass_still_has_its_lease(world: World) -> None:
    world.notifiers[Channel.SMS] = SlowNotifier(world, timedelta(seconds=50))
    alert(world)
    world.deliver()

    world.clock.advance(timedelta(seconds=20))  # past the first lease, inside the renewed one
    world.dispatcher.dispatch_due()

    assert sorted(world.sent()) == [
        ("email", ALICE_EMAIL, (1,)),
        ("slack", "#ops", (1,)),
        ("sms", ALICE_SMS, (1,)),
    ]


def test_a_level_whose_every_send_failed_is_recorded_once(world: World) -> None:
    fail_for_good(world, Channel.SMS, Channel.EMAIL, Channel.SLACK)
    incident_id = alert(world)

    world.deliver()

    unreached = timeline(world, incident_id, events.LevelUnreached)
    assert [(e.level, e.round) for e in unreached if isinstance(e, events.LevelUnreached)] == [(1, 0)]


def test_a_level_whose_every_send_failed_escalates_at_its_deadline(world: World) -> None:
    fail_for_good(world, Channel.SMS, Channel.EMAIL, Channel.SLACK)
    incident_id = alert(world)
    world.deliver()
    world.clear_sent()

    world.advance(timedelta(minutes=15) - world.dispatcher.policy.bundle_window)

    paged = timeline(world, incident_id, events.LevelPaged)
    assert [(e.level, e.at) for e in paged if isinstance(e, events.LevelPaged)][-1] == (
        2,
        T0 + timedelta(minutes=15),
    )
    assert sorted(world.sent()) == [("email", "bob@example.com", (1,)), ("sms", "+33600000000", (1,))]


def test_a_level_is_not_unreached_while_one_of_its_pages_got_through(world: World) -> None:
    fail_for_good(world, Channel.SMS, Channel.EMAIL)
    incident_id = alert(world)

    world.deliver()

    assert timeline(world, incident_id, events.LevelUnreached) == []
    assert world.sent() == [("slack", "#ops", (1,))]


def test_a_level_is_not_unreached_while_a_page_is_still_being_retried(world: World) -> None:
    fail_for_good(world, Channel.SMS, Channel.EMAIL)
    world.notifiers[Channel.SLACK].failures.append(SendFailed("503", permanent=False))
    incident_id = alert(world)

    world.deliver()

    assert timeline(world, incident_id, events.LevelUnreached) == []
