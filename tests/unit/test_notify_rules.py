"""Personal notification rules: a person with `notify` steps is paged step by step, each step at its delay."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain.alerts import Alert
from domain.errors import SendFailed
from domain.events import FellThrough, LevelUnreached, NotificationSent
from domain.fallthrough import Delivery, DeliveryReports
from domain.model import Catalog, Channel, Contact, IncidentId, NotificationStep, PersonId, PolicyId
from domain.targets import resolve_targets
from tests.fakes import T0
from tests.unit.conftest import ALICE, World, make_catalog, make_world, targets

SMS = Contact(Channel.SMS, "+33612345678")
EMAIL = Contact(Channel.EMAIL, "alice@example.com")
SLACK = Contact(Channel.SLACK, "U0ALICE")


def step(contact: Contact, minutes: int) -> NotificationStep:
    return NotificationStep(contact, timedelta(minutes=minutes))


RULES = (step(SLACK, 0), step(SMS, 0), step(SMS, 2), step(EMAIL, 10))


def catalog_with_rules(*rules: NotificationStep, fallbacks: tuple[Contact, ...] = ()) -> Catalog:
    """alice (level 1, ack timeout 15m) is paged by her rules; bob is level 2."""
    catalog = make_catalog()
    alice = replace(ALICE, contacts=(SMS, EMAIL, SLACK), fallbacks=fallbacks, notify=rules or RULES)
    return replace(catalog, people={**catalog.people, PersonId("alice"): alice})


def alice_pages(world: World) -> list[tuple[str, str]]:
    return [
        (channel, address)
        for channel, address, _ in world.sent()
        if address in {SMS.address, EMAIL.address, SLACK.address}
    ]


def paged(*rules: NotificationStep) -> World:
    world = make_world(catalog_with_rules(*rules))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    return world


def test_steps_due_at_once_are_paged_at_once_and_later_ones_wait() -> None:
    world = paged()

    assert sorted(alice_pages(world)) == [("slack", "U0ALICE"), ("sms", "+33612345678")]


def test_each_later_step_is_paged_at_its_delay() -> None:
    world = paged()
    world.clear_sent()

    world.advance(timedelta(minutes=2))
    at_two = alice_pages(world)
    world.advance(timedelta(minutes=8))

    assert at_two == [("sms", "+33612345678")]
    assert alice_pages(world) == [("sms", "+33612345678"), ("email", "alice@example.com")]


def test_a_step_is_not_paged_before_its_delay() -> None:
    world = paged()
    world.clear_sent()

    world.advance(timedelta(minutes=1, seconds=55))

    assert alice_pages(world) == []


def test_two_steps_on_one_method_page_it_twice() -> None:
    world = paged(step(SMS, 0), step(SMS, 2), step(SMS, 7))

    world.advance(timedelta(minutes=2))
    world.advance(timedelta(minutes=5))

    assert alice_pages(world) == [("sms", SMS.address)] * 3


def test_steps_on_one_method_overdue_together_leave_as_one_page_listing_the_incident_once() -> None:
    world = paged(step(SLACK, 0), step(SMS, 2), step(SMS, 7))
    world.clear_sent()
    world.clock.advance(timedelta(minutes=12))  # nothing ran meanwhile: the process was down

    world.deliver()

    assert [[i.incident_id for i in p.items] for p in world.notifiers[Channel.SMS].sent] == [[1]]


def test_acknowledging_between_steps_stops_the_later_ones() -> None:
    world = paged()
    world.advance(timedelta(minutes=3))
    world.pager.acknowledge(IncidentId(1), "alice")
    world.clear_sent()

    world.advance(timedelta(days=1))

    assert alice_pages(world) == []


def test_resolving_between_steps_stops_the_later_ones() -> None:
    world = paged()
    world.pager.resolve(IncidentId(1), "alice")
    world.clear_sent()

    world.advance(timedelta(days=1))

    assert alice_pages(world) == []


def test_steps_overdue_after_an_outage_are_each_paged_once_at_once() -> None:
    world = paged(step(SMS, 0), step(EMAIL, 2), step(SLACK, 10))
    world.clear_sent()
    world.clock.advance(timedelta(minutes=12))  # nothing ran meanwhile: the process was down

    world.deliver()
    world.deliver()

    assert sorted(alice_pages(world)) == [("email", EMAIL.address), ("slack", SLACK.address)]


def test_a_step_is_bundled_with_other_pages_to_its_address_due_together() -> None:
    world = make_world(catalog_with_rules(step(SLACK, 0), step(SMS, 2)))
    world.pager.on_alert("payments", Alert("DB down"))
    world.clock.advance(timedelta(milliseconds=500))
    world.pager.on_alert("search", Alert("Index stale"))
    world.deliver()
    world.clear_sent()

    world.advance(timedelta(minutes=2))

    assert [s for s in world.sent() if s[0] == "sms" and s[1] == SMS.address] == [
        ("sms", SMS.address, (1, 2))
    ]


def test_a_held_back_step_neither_holds_back_nor_joins_a_page_due_to_its_address() -> None:
    world = make_world(catalog_with_rules(step(SMS, 0), step(SMS, 5)))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    world.clock.advance(timedelta(minutes=1))
    world.clear_sent()

    world.pager.on_alert("search", Alert("Index stale"))
    world.deliver()

    assert alice_pages(world) == [("sms", SMS.address)]
    assert world.notifiers[Channel.SMS].sent[-1].items[0].incident_id == 2


FAILING_SMS_FIRST = (step(SMS, 0), step(EMAIL, 2), step(SLACK, 10))


def sms_failed_for_good() -> World:
    world = make_world(catalog_with_rules(*FAILING_SMS_FIRST))
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 400 error 21211", permanent=True))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    return world


def test_a_step_failing_for_good_pages_the_next_step_at_once() -> None:
    world = sms_failed_for_good()

    world.deliver()

    assert alice_pages(world) == [("email", EMAIL.address)]


def test_a_step_failing_for_good_leaves_the_steps_after_the_next_at_their_time() -> None:
    world = sms_failed_for_good()
    world.deliver()
    world.clear_sent()

    world.advance(timedelta(minutes=5))

    assert alice_pages(world) == []


def test_the_step_paged_early_is_on_the_timeline_as_a_fall_through() -> None:
    world = sms_failed_for_good()

    with world.uow() as uow:
        fell = [e for e in uow.timeline.of(IncidentId(1)) if isinstance(e, FellThrough)]
    assert [(e.from_channel, e.to_channel, e.reason) for e in fell] == [
        ("sms", "email", "Twilio 400 error 21211")
    ]


def test_with_rules_the_fallback_list_is_not_paged() -> None:
    world = make_world(catalog_with_rules(step(SMS, 0), fallbacks=(EMAIL,)))
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 400 error 21211", permanent=True))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()

    world.advance(timedelta(minutes=10))

    assert world.notifiers[Channel.EMAIL].addresses() == []


def test_a_step_still_waiting_counts_as_reaching_the_level() -> None:
    carol_sms = Contact(Channel.SMS, "+33600000001")
    catalog = only_alice_and_carol(catalog_with_rules(step(SMS, 0)), (step(carol_sms, 5),))
    world = make_world(catalog)
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 400 error 21211", permanent=True))
    world.pager.on_alert("payments", Alert("DB down"))

    world.deliver()

    with world.uow() as uow:
        assert not [e for e in uow.timeline.of(IncidentId(1)) if isinstance(e, LevelUnreached)]


def test_a_step_page_says_on_the_timeline_which_step_it_was() -> None:
    world = paged()

    with world.uow() as uow:
        sent = [e for e in uow.timeline.of(IncidentId(1)) if isinstance(e, NotificationSent)]
    assert "person:alice, notification step 2" in [e.target for e in sent if e.channel == "sms"]


def test_without_rules_every_method_is_paged_at_once(world: World) -> None:
    world.pager.on_alert("payments", Alert("DB down"))

    world.deliver()

    assert sorted(alice_pages(world)) == [("email", EMAIL.address), ("sms", SMS.address)]


def only_alice_and_carol(catalog: Catalog, carol_rules: tuple[NotificationStep, ...]) -> Catalog:
    """Level 1 pages alice and carol only; carol is paged by `carol_rules`."""
    policy = catalog.policies[PolicyId("default")]
    first = replace(policy.levels[0], targets=targets("person:alice", "person:carol"))
    carol = replace(catalog.people[PersonId("carol")], notify=carol_rules)
    return replace(
        catalog,
        people={**catalog.people, carol.id: carol},
        policies={policy.id: replace(policy, levels=(first, *policy.levels[1:]))},
    )


def test_an_undelivered_report_pages_the_next_step_at_once() -> None:
    world = paged(*FAILING_SMS_FIRST)
    world.clear_sent()
    reports = DeliveryReports(world.pager.catalog, world.uow, world.clock)

    reports.on_status([Delivery(IncidentId(1), 1, 0, Channel.SMS, SMS.address)], "undelivered", "30003")
    world.deliver()

    assert alice_pages(world) == [("email", EMAIL.address)]


def test_a_step_undelivered_at_its_delivery_deadline_also_pages_the_next_step() -> None:
    world = make_world(catalog_with_rules(step(SMS, 0), step(EMAIL, 30)))
    world.notifiers[Channel.SMS].failures += [SendFailed("Twilio 503", permanent=False)] * 20
    world.pager.on_alert("payments", Alert("DB down"))

    for _ in range(6):
        world.advance(timedelta(seconds=30))

    assert world.notifiers[Channel.EMAIL].addresses() == [EMAIL.address]


def test_a_person_reached_twice_by_a_level_gets_each_step_once() -> None:
    catalog = catalog_with_rules()

    resolved = resolve_targets(targets("person:alice", "person:alice"), catalog, T0)

    assert [owed.number for owed in resolved.steps] == [1, 2, 3, 4]


def test_an_unanswered_call_rings_the_next_call_step_at_once() -> None:
    voice = Contact(Channel.VOICE, SMS.address)
    catalog = catalog_with_rules(step(SMS, 0), step(voice, 2), step(voice, 7), step(EMAIL, 10))
    alice = replace(catalog.people[PersonId("alice")], contacts=(SMS, voice, EMAIL))
    world = make_world(replace(catalog, people={**catalog.people, alice.id: alice}))
    world.pager.on_alert("payments", Alert("DB down"))
    world.advance(timedelta(minutes=2))
    reports = DeliveryReports(world.pager.catalog, world.uow, world.clock)

    reports.on_report(
        [Delivery(IncidentId(1), 1, 0, Channel.VOICE, voice.address)], "no-answer", None, undelivered=True
    )
    world.deliver()

    assert (world.notifiers[Channel.VOICE].addresses(), world.notifiers[Channel.EMAIL].sent) == (
        [voice.address] * 2,
        [],
    )
