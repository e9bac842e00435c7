"""Targets: people, rotations and raw addresses turn into contacts; a target reaching nobody is said so."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from domain import events
from domain.alerts import Alert
from domain.model import (
    Catalog,
    Channel,
    Contact,
    EscalationPolicy,
    IncidentId,
    Level,
    Person,
    PersonId,
    PolicyId,
)
from domain.targets import resolve_targets
from tests.fakes import T0
from tests.unit.conftest import World, make_catalog, make_world, targets

DAVE = Person(PersonId("dave"), "Dave")  # no contact method at all
ONE_WEEK = timedelta(days=7)


def catalog_paging(*level_1: str) -> Catalog:
    catalog = make_catalog()
    policy = EscalationPolicy(PolicyId("default"), (Level(targets(*level_1)),))
    return replace(catalog, policies={policy.id: policy}, people={**catalog.people, DAVE.id: DAVE})


def alert(world: World) -> IncidentId:
    outcome = world.pager.on_alert("payments", Alert("disk full"))
    assert outcome.incident_id is not None
    return outcome.incident_id


def unreachable(world: World, incident_id: IncidentId) -> list[events.Event]:
    return [e for e in world.store.timeline[incident_id] if isinstance(e, events.TargetUnreachable)]


def test_person_target_reaches_each_of_their_contact_methods() -> None:
    resolved = resolve_targets(targets("person:alice"), make_catalog(), T0)

    assert resolved.contacts == [
        (Contact(Channel.SMS, "+33612345678"), "person:alice"),
        (Contact(Channel.EMAIL, "alice@example.com"), "person:alice"),
    ]


def test_raw_targets_reach_their_address_on_their_channel() -> None:
    resolved = resolve_targets(
        targets("sms:+33611111111", "email:ops@example.com", "slack:#ops"), make_catalog(), T0
    )

    assert [contact for contact, _ in resolved.contacts] == [
        Contact(Channel.SMS, "+33611111111"),
        Contact(Channel.EMAIL, "ops@example.com"),
        Contact(Channel.SLACK, "#ops"),
    ]


def test_contact_reached_through_two_targets_is_listed_once() -> None:
    resolved = resolve_targets(targets("person:carol", "sms:+33600000001"), make_catalog(), T0)

    assert resolved.contacts == [(Contact(Channel.SMS, "+33600000001"), "person:carol")]


def test_rotation_target_pages_whoever_is_on_call_now() -> None:
    world = make_world(catalog_paging("rotation:primary"))

    alert(world)
    world.deliver()

    assert world.sent() == [("sms", "+33600000001", (1,))]  # carol holds the first week


def test_rotation_target_pages_the_next_member_after_the_handoff() -> None:
    world = make_world(catalog_paging("rotation:primary"))
    world.clock.current = T0 + ONE_WEEK

    alert(world)
    world.deliver()

    assert world.sent() == [("email", "bob@example.com", (1,))]


def test_rotation_before_its_start_is_recorded_as_unreachable() -> None:
    world = make_world(catalog_paging("rotation:primary", "slack:#ops"))
    world.clock.current = T0 - timedelta(days=1)

    incident_id = alert(world)
    world.deliver()

    assert unreachable(world, incident_id) == [
        events.TargetUnreachable(
            at=T0 - timedelta(days=1), target="rotation:primary", reason="nobody is on call"
        )
    ]
    assert world.sent() == [("slack", "#ops", (1,))]


def test_person_without_contact_method_is_recorded_as_unreachable() -> None:
    world = make_world(catalog_paging("person:dave", "slack:#ops"))

    incident_id = alert(world)

    assert unreachable(world, incident_id) == [
        events.TargetUnreachable(at=T0, target="person:dave", reason="dave has no contact method")
    ]


def test_level_reaching_nobody_still_arms_its_deadline() -> None:
    world = make_world(catalog_paging("person:dave"))

    incident_id = alert(world)

    assert world.store.incidents[incident_id].ack_deadline == T0 + timedelta(minutes=15)
