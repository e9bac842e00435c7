"""A page still undelivered at its delivery deadline also pages the person's next contact method, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain import events
from domain.alerts import Alert
from domain.errors import SendFailed
from domain.model import Catalog, Channel, Contact, IncidentId, PersonId
from tests.unit.conftest import ALICE, World, make_catalog, make_world

ALICE_SMS = Contact(Channel.SMS, "+33612345678")
ALICE_EMAIL = Contact(Channel.EMAIL, "alice@example.com")
ALICE_SLACK = Contact(Channel.SLACK, "U0ALICE")
DEADLINE = timedelta(minutes=2)


class Outage:
    """Every send fails with a retryable error until `over` is set."""

    def __init__(self, world: World, channel: Channel, retry_after: float | None = None) -> None:
        self.over = False
        self._failure = SendFailed(f"{channel} 503", permanent=False, retry_after=retry_after)
        notifier = world.notifiers[channel]
        send = notifier.send

        def failing(page: object) -> None:
            if not self.over:
                raise self._failure
            send(page)  # type: ignore[arg-type]

        notifier.send = failing  # type: ignore[method-assign]


def sms_first_catalog() -> Catalog:
    """alice is paged by SMS; email, then Slack, only when a method before them cannot reach her."""
    catalog = make_catalog()
    alice = replace(ALICE, contacts=(ALICE_SMS,), fallbacks=(ALICE_EMAIL, ALICE_SLACK))
    return replace(catalog, people={**catalog.people, PersonId("alice"): alice})


def run_for(world: World, duration: timedelta, step: timedelta = timedelta(seconds=1)) -> None:
    """Let `duration` pass a second at a time, the dispatcher sending whatever falls due."""
    for _ in range(int(duration / step)):
        world.clock.advance(step)
        world.dispatcher.dispatch_due()


def paged_during_sms_outage(retry_after: float | None = None) -> tuple[World, Outage]:
    world = make_world(sms_first_catalog())
    outage = Outage(world, Channel.SMS, retry_after)
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    return world, outage


def fell_through(world: World) -> list[events.FellThrough]:
    return [e for e in world.store.timeline[IncidentId(1)] if isinstance(e, events.FellThrough)]


def test_a_page_failing_past_its_delivery_deadline_pages_the_next_method() -> None:
    world, _ = paged_during_sms_outage()

    run_for(world, DEADLINE)

    assert world.notifiers[Channel.EMAIL].addresses() == ["alice@example.com"]


def test_the_next_method_is_paged_no_later_than_the_deadline() -> None:
    world, _ = paged_during_sms_outage()
    queued_at = world.clock.now() - world.dispatcher.policy.bundle_window

    run_for(world, DEADLINE - timedelta(seconds=2))
    before = list(world.notifiers[Channel.EMAIL].sent)
    run_for(world, timedelta(seconds=3))

    assert before == []
    [event] = fell_through(world)
    assert event.at == queued_at + DEADLINE


def test_no_fall_through_before_the_deadline() -> None:
    world, _ = paged_during_sms_outage()

    run_for(world, DEADLINE - timedelta(seconds=5))

    assert (fell_through(world), world.notifiers[Channel.EMAIL].sent) == ([], [])


def test_a_late_page_falls_through_once_however_often_it_fails_again() -> None:
    world, _ = paged_during_sms_outage()

    run_for(world, DEADLINE * 5)

    assert [(e.to_channel, e.to_address) for e in fell_through(world)] == [("email", "alice@example.com")]
    assert "U0ALICE" not in world.notifiers[Channel.SLACK].addresses()


def test_the_fall_through_says_why_on_the_timeline() -> None:
    world, _ = paged_during_sms_outage()

    run_for(world, DEADLINE)

    [event] = fell_through(world)
    assert event.reason == "not delivered within 2m: sms 503"


def test_the_late_page_is_still_retried_and_sent_when_the_provider_is_back() -> None:
    world, outage = paged_during_sms_outage()
    run_for(world, DEADLINE)

    outage.over = True
    run_for(world, timedelta(minutes=1))

    assert world.notifiers[Channel.SMS].addresses() == ["+33612345678"]


def test_an_acknowledgement_before_the_deadline_stops_the_fall_through() -> None:
    world, _ = paged_during_sms_outage()
    run_for(world, timedelta(seconds=30))

    world.pager.acknowledge(IncidentId(1), "alice")
    run_for(world, DEADLINE)

    assert world.notifiers[Channel.EMAIL].sent == []


def test_a_provider_asking_to_wait_past_the_deadline_falls_through_at_once() -> None:
    world, _ = paged_during_sms_outage(retry_after=600)

    world.deliver()

    assert world.notifiers[Channel.EMAIL].addresses() == ["alice@example.com"]
    assert world.notifiers[Channel.SMS].sent == []
