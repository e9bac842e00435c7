"""The incident card in Block Kit: what it shows in each state, and the ids of its buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.model import Incident, IncidentId, IncidentState, Person, PersonId
from domain.ports import PageItem

Block = dict[str, Any]

_STATE_ICONS = {
    IncidentState.TRIGGERED: ":red_circle:",
    IncidentState.ACKNOWLEDGED: ":large_yellow_circle:",
    IncidentState.RESOLVED: ":large_green_circle:",
}


class Action(StrEnum):
    """The action id of every button the pager puts in Slack; the value is the incident id."""

    ACKNOWLEDGE = "pager_acknowledge"
    RESOLVE = "pager_resolve"


@dataclass(frozen=True)
class CardItem:
    """What a card says about one incident."""

    incident_id: IncidentId
    service_name: str
    summary: str
    state: IncidentState
    level: int
    since: datetime
    who: str | None = None
    exhausted: bool = False

    @classmethod
    def of_page(cls, item: PageItem, at: datetime) -> CardItem:
        return cls(item.incident_id, item.service_name, item.summary, IncidentState.TRIGGERED, item.level, at)

    @classmethod
    def of_incident(
        cls, incident: Incident, service_name: str, people: Mapping[PersonId, Person] | None = None
    ) -> CardItem:
        """The incident's current state; who acted is shown by name when they are a person of the config."""
        who: str | None = None
        since = incident.opened_at
        if incident.state is IncidentState.ACKNOWLEDGED:
            who, since = incident.acknowledged_by, incident.acknowledged_at or since
        elif incident.state is IncidentState.RESOLVED:
            who, since = incident.resolved_by, incident.resolved_at or since
        level = incident.level + 1
        who = None if who is None else display_name(who, people or {})
        return cls(
            incident.id, service_name, incident.summary, incident.state, level, since, who, incident.exhausted
        )


def display_name(who: str, people: Mapping[PersonId, Person]) -> str:
    """A person's name; anything else (a monitor that resolved the incident, say) as it is."""
    person = people.get(PersonId(who))
    return person.name if person else who


def hhmm(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def state_line(item: CardItem) -> str:
    """`:red_circle: Triggered · level 2 · since 2026-11-30 09:00 UTC`, with who acted when someone did."""
    parts = [f"{_STATE_ICONS[item.state]} {item.state.value.capitalize()}"]
    if item.who:
        parts[0] += f" by {item.who}"
    if item.state is IncidentState.TRIGGERED:
        parts.append("escalation exhausted" if item.exhausted else f"level {item.level}")
    parts.append(hhmm(item.since))
    return " · ".join(parts)


def item_blocks(item: CardItem) -> list[Block]:
    """A section for the incident, and the buttons that still make sense in its state."""
    text = f"*#{item.incident_id} {item.service_name}*\n{item.summary}\n{state_line(item)}"
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    buttons = []
    if item.state is IncidentState.TRIGGERED:
        buttons.append(_button("Acknowledge", Action.ACKNOWLEDGE, item.incident_id, "primary"))
    if item.state is not IncidentState.RESOLVED:
        buttons.append(_button("Resolve", Action.RESOLVE, item.incident_id, "danger"))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"incident-{item.incident_id}", "elements": buttons})
    return blocks


def card(items: Sequence[CardItem]) -> tuple[str, list[Block]]:
    """The fallback text (notifications, screen readers) and blocks of a card listing `items`."""
    if len(items) == 1:
        item = items[0]
        text = f"#{item.incident_id} {item.service_name}: {item.summary} ({item.state.value})"
        return text, item_blocks(item)
    text = f"{len(items)} incidents need you"
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": text}}]
    for item in items:
        blocks += [{"type": "divider"}, *item_blocks(item)]
    return text, blocks


def _button(label: str, action: Action, incident_id: int, style: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": str(action),
        "value": str(incident_id),
        "style": style,
    }
