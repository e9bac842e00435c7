"""Replies to SMS pages: parsed, checked against the sender, and acted on once."""

from __future__ import annotations

import pytest

from domain.alerts import Alert
from domain.model import IncidentId, IncidentState
from domain.sms_replies import HELP, Action, Command, SmsReplies, parse_reply
from tests.fakes import MemoryInboundMessageLog
from tests.unit.conftest import World

ALICE_PHONE = "+33612345678"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("12A", Command(Action.ACK, IncidentId(12))),
        (" 12 a ", Command(Action.ACK, IncidentId(12))),
        ("ack 12", Command(Action.ACK, IncidentId(12))),
        ("Ack #12", Command(Action.ACK, IncidentId(12))),
        ("12R", Command(Action.RESOLVE, IncidentId(12))),
        ("resolve 12", Command(Action.RESOLVE, IncidentId(12))),
        ("AA", Command(Action.ACK_ALL)),
        ("ack all", Command(Action.ACK_ALL)),
    ],
)
def test_reply_is_parsed_into_its_command(text: str, command: Command) -> None:
    assert parse_reply(text) == command


@pytest.mark.parametrize("text", ["", "ok", "12", "12X", "ack", "please stop"])
def test_reply_that_is_not_a_command_is_not_parsed(text: str) -> None:
    assert parse_reply(text) is None


def replies(world: World) -> SmsReplies:
    return SmsReplies(world.pager.catalog, world.pager, world.uow, world.clock, MemoryInboundMessageLog())


def state(world: World, incident: int) -> IncidentState:
    with world.uow() as uow:
        found = uow.incidents.get(IncidentId(incident))
    assert found is not None
    return found.state


def paged(world: World, *services: str) -> SmsReplies:
    for service in services:
        world.pager.on_alert(service, Alert("down"))
    world.deliver()
    return replies(world)


def test_ack_reply_acknowledges_as_the_sender_and_confirms(world: World) -> None:
    answer = paged(world, "payments").on_reply("SM1", ALICE_PHONE, "1A")

    assert (answer, state(world, 1)) == ("Acknowledged #1. Escalation stopped.", IncidentState.ACKNOWLEDGED)


def test_resolve_reply_resolves(world: World) -> None:
    paged(world, "payments").on_reply("SM1", ALICE_PHONE, "resolve 1")

    assert state(world, 1) is IncidentState.RESOLVED


def test_reply_from_an_unknown_number_gets_help_and_changes_nothing(world: World) -> None:
    answer = paged(world, "payments").on_reply("SM1", "+33699999999", "1A")

    assert (answer, state(world, 1)) == (HELP, IncidentState.TRIGGERED)


def test_unparseable_reply_gets_help_and_changes_nothing(world: World) -> None:
    answer = paged(world, "payments").on_reply("SM1", ALICE_PHONE, "on it")

    assert (answer, state(world, 1)) == (HELP, IncidentState.TRIGGERED)


def test_same_message_twice_is_acted_on_once(world: World) -> None:
    sms = paged(world, "payments")
    sms.on_reply("SM1", ALICE_PHONE, "1R")

    assert sms.on_reply("SM1", ALICE_PHONE, "1R") is None


def test_ack_of_an_unknown_incident_says_so(world: World) -> None:
    answer = paged(world, "payments").on_reply("SM1", ALICE_PHONE, "99A")

    assert answer == "Nothing done: incident 99 does not exist."


def test_ack_all_acknowledges_every_incident_that_paged_the_sender(world: World) -> None:
    answer = paged(world, "payments", "search").on_reply("SM1", ALICE_PHONE, "AA")

    assert (answer, state(world, 1), state(world, 2)) == (
        "Acknowledged #1, #2. Escalation stopped.",
        IncidentState.ACKNOWLEDGED,
        IncidentState.ACKNOWLEDGED,
    )


def test_ack_all_leaves_incidents_that_did_not_page_the_sender(world: World) -> None:
    sms = paged(world, "payments")
    world.pager.on_alert("search", Alert("slow"))  # queued, not yet sent to alice

    sms.on_reply("SM1", ALICE_PHONE, "AA")

    assert state(world, 2) is IncidentState.TRIGGERED


def test_ack_all_with_nothing_waiting_says_so(world: World) -> None:
    answer = replies(world).on_reply("SM1", ALICE_PHONE, "AA")

    assert answer == "Nothing to acknowledge: no incident waiting for an ack paged you."


def test_ack_of_an_incident_someone_else_acknowledged_names_them(world: World) -> None:
    sms = paged(world, "payments")
    world.pager.acknowledge(IncidentId(1), "bob")

    assert sms.on_reply("SM1", ALICE_PHONE, "1A") == "#1 was already acknowledged by bob."
