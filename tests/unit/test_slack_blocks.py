"""What Slack cards and /pager answers say, and which buttons they offer in each state."""

from __future__ import annotations

import json
from datetime import timedelta

from adapters.slack_card_blocks import Action, CardItem, card
from adapters.slack_card_updates import timeline_reply
from bot.slack.blocks import oncall_line
from bot.slack.commands import oncall
from bot.slack.context import SlackContext
from domain.model import Catalog, Incident, IncidentId, IncidentState, PersonId, ServiceId
from domain.queries import Queries
from tests.fakes import T0
from tests.unit.conftest import World, make_catalog


def item(incident_id: int = 1, state: IncidentState = IncidentState.TRIGGERED, **kw: object) -> CardItem:
    return CardItem(IncidentId(incident_id), "Payments API", "DB down", state, 1, T0, **kw)  # type: ignore[arg-type]


def buttons(blocks: list[dict[str, object]]) -> list[tuple[str, str]]:
    return [
        (str(e["action_id"]), str(e["value"]))  # type: ignore[index]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]  # type: ignore[attr-defined]
    ]


def test_a_triggered_card_offers_acknowledge_and_resolve() -> None:
    _, blocks = card([item()])

    assert buttons(blocks) == [(Action.ACKNOWLEDGE, "1"), (Action.RESOLVE, "1")]


def test_an_acknowledged_card_offers_only_resolve_and_says_who() -> None:
    _, blocks = card([item(state=IncidentState.ACKNOWLEDGED, who="alice")])

    assert buttons(blocks) == [(Action.RESOLVE, "1")]
    assert "Acknowledged by alice" in json.dumps(blocks)


def test_a_resolved_card_offers_no_button() -> None:
    _, blocks = card([item(state=IncidentState.RESOLVED, who="bob")])

    assert buttons(blocks) == []


def test_a_bundled_card_lists_each_incident_with_its_own_buttons() -> None:
    text, blocks = card([item(1), item(2)])

    assert text == "2 incidents need you"
    assert buttons(blocks) == [
        (Action.ACKNOWLEDGE, "1"),
        (Action.RESOLVE, "1"),
        (Action.ACKNOWLEDGE, "2"),
        (Action.RESOLVE, "2"),
    ]


def test_an_exhausted_escalation_is_shown_instead_of_the_level() -> None:
    _, blocks = card([item(exhausted=True)])

    assert "escalation exhausted" in json.dumps(blocks)


def test_a_card_item_of_an_acknowledged_incident_tells_who_and_when() -> None:
    incident = Incident(IncidentId(3), ServiceId("payments"), "DB down", opened_at=T0)
    incident.acknowledge(PersonId("alice"), T0 + timedelta(minutes=4))

    shown = CardItem.of_incident(incident, "Payments API")

    assert (shown.state, shown.who, shown.since) == (
        IncidentState.ACKNOWLEDGED,
        "alice",
        T0 + timedelta(minutes=4),
    )


def test_the_thread_reply_after_an_escalation_names_the_level() -> None:
    incident = Incident(IncidentId(3), ServiceId("payments"), "DB down", opened_at=T0, level=2)

    assert timeline_reply(incident, "09:15") == ":arrow_up: Escalated to level 2 at 09:15"


def test_the_thread_reply_after_exhaustion_says_nobody_acknowledged() -> None:
    incident = Incident(
        IncidentId(3), ServiceId("payments"), "DB down", opened_at=T0, level=2, exhausted=True
    )

    assert "nobody acknowledged level 2" in timeline_reply(incident, "09:25")


def test_oncall_names_who_holds_the_rotation_now_and_next() -> None:
    catalog = make_catalog()

    line = oncall_line(catalog.rotations["primary"], catalog, T0 + timedelta(days=1))  # type: ignore[index]

    assert line == "*primary*: Carol now; Bob from 2026-12-07 09:00 UTC"


def test_oncall_before_the_rotation_starts_says_when_it_does() -> None:
    catalog = make_catalog()

    line = oncall_line(catalog.rotations["primary"], catalog, T0 - timedelta(days=1))  # type: ignore[index]

    assert line == "*primary*: starts 2026-11-30 09:00 UTC with Carol"


def test_oncall_without_any_rotation_says_none_is_configured(world: World) -> None:
    catalog = Catalog()
    ctx = SlackContext(world.pager, Queries(catalog, world.uow), catalog, world.clock)

    blocks = oncall(ctx, [])

    assert "No rotation is configured yet" in blocks[0]["text"]["text"]


def test_who_acted_is_shown_by_name_when_they_are_a_person() -> None:
    incident = Incident(IncidentId(3), ServiceId("payments"), "DB down", opened_at=T0)
    incident.acknowledge(PersonId("alice"), T0)

    reply = timeline_reply(incident, "09:05", make_catalog().people)

    assert reply == ":large_yellow_circle: Acknowledged by Alice at 09:05: escalation stopped"


def test_a_monitor_that_resolved_the_incident_is_shown_as_it_is() -> None:
    incident = Incident(IncidentId(3), ServiceId("payments"), "DB down", opened_at=T0)
    incident.resolve("alertmanager", T0)

    shown = CardItem.of_incident(incident, "Payments API", make_catalog().people)

    assert shown.who == "alertmanager"
