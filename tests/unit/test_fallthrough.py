"""A page that cannot reach a person on one method falls through to their next one."""

from __future__ import annotations

from dataclasses import replace

from domain.alerts import Alert
from domain.errors import SendFailed
from domain.fallthrough import Delivery, DeliveryReports
from domain.model import Catalog, Channel, Contact, IncidentId, PersonId, Target
from tests.unit.conftest import ALICE, World, make_catalog, make_world

ALICE_SMS = Contact(Channel.SMS, "+33612345678")
ALICE_EMAIL = Contact(Channel.EMAIL, "alice@example.com")


def catalog_with_email_fallback() -> Catalog:
    """alice is paged by SMS; her email is held back until the SMS fails."""
    catalog = make_catalog()
    alice = replace(ALICE, contacts=(ALICE_SMS,), fallbacks=(ALICE_EMAIL,))
    return replace(catalog, people={**catalog.people, PersonId("alice"): alice})


def paged_world() -> World:
    world = make_world(catalog_with_email_fallback())
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 400 error 21211", permanent=True))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    return world


def test_fallback_method_is_not_paged_while_the_first_one_works() -> None:
    world = make_world(catalog_with_email_fallback())
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()

    assert ("email", "alice@example.com", (1,)) not in world.sent()


def test_permanent_sms_failure_pages_the_persons_next_method() -> None:
    world = paged_world()

    world.deliver()

    assert world.notifiers[Channel.EMAIL].addresses() == ["alice@example.com"]


def test_fall_through_is_on_the_timeline_with_its_reason() -> None:
    world = paged_world()

    with world.uow() as uow:
        kinds = [(e.kind, getattr(e, "reason", None)) for e in uow.timeline.of(IncidentId(1))]
    assert ("FellThrough", "Twilio 400 error 21211") in kinds


def test_retryable_failure_does_not_fall_through() -> None:
    world = make_world(catalog_with_email_fallback())
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 503", permanent=False))
    world.pager.on_alert("payments", Alert("DB down"))

    world.deliver()
    world.deliver()

    assert world.notifiers[Channel.EMAIL].sent == []


def test_person_with_no_next_method_is_left_at_the_failure(world: World) -> None:
    world.notifiers[Channel.SLACK].failures.append(SendFailed("channel_not_found", permanent=True))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()

    world.deliver()

    assert world.notifiers[Channel.SLACK].sent == []


def test_undelivered_status_pages_the_next_method() -> None:
    world = make_world(catalog_with_email_fallback())
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    reports = DeliveryReports(world.pager.catalog, world.uow, world.clock)

    reports.on_status([Delivery(IncidentId(1), 1, 0, Channel.SMS, ALICE_SMS.address)], "undelivered", "30003")
    world.deliver()

    assert world.notifiers[Channel.EMAIL].addresses() == ["alice@example.com"]


def test_delivered_status_is_recorded_and_pages_nobody_else() -> None:
    world = make_world(catalog_with_email_fallback())
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    reports = DeliveryReports(world.pager.catalog, world.uow, world.clock)

    reports.on_status([Delivery(IncidentId(1), 1, 0, Channel.SMS, ALICE_SMS.address)], "delivered")
    world.deliver()

    with world.uow() as uow:
        assert (
            [e.kind for e in uow.timeline.of(IncidentId(1))][-1],
            world.notifiers[Channel.EMAIL].sent,
        ) == (
            "DeliveryReported",
            [],
        )


def test_undelivered_after_the_ack_pages_nobody() -> None:
    world = make_world(catalog_with_email_fallback())
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()
    world.pager.acknowledge(IncidentId(1), "bob")
    reports = DeliveryReports(world.pager.catalog, world.uow, world.clock)

    reports.on_status([Delivery(IncidentId(1), 1, 0, Channel.SMS, ALICE_SMS.address)], "failed")
    world.deliver()

    assert world.notifiers[Channel.EMAIL].sent == []


def test_raw_address_target_does_not_fall_through_to_a_person() -> None:
    catalog = catalog_with_email_fallback()
    policy = next(iter(catalog.policies.values()))
    level = replace(policy.levels[0], targets=(Target.parse(f"sms:{ALICE_SMS.address}"),))
    catalog = replace(catalog, policies={policy.id: replace(policy, levels=(level, *policy.levels[1:]))})
    world = make_world(catalog)
    world.notifiers[Channel.SMS].failures.append(SendFailed("Twilio 400 error 21211", permanent=True))
    world.pager.on_alert("payments", Alert("DB down"))
    world.deliver()

    world.deliver()

    assert world.notifiers[Channel.EMAIL].sent == []
