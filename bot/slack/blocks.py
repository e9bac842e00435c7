"""Block Kit for what the bot says: /pager answers and the App Home tab, short enough for a phone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from adapters.slack_card import Block, CardItem, hhmm, item_blocks, state_line
from domain.model import Catalog, Health, Person, PersonId
from domain.queries import IncidentView, ServiceView
from domain.rotation import Rotation

People = Mapping[PersonId, Person]

HELP = "\n".join(
    [
        "*/pager status [service]*: services, their health and open incidents",
        "*/pager incidents*: open incidents, with buttons",
        "*/pager ack <id>*, */pager resolve <id>*: act on an incident",
        "*/pager oncall [rotation]*: who is on call now and next",
        "*/pager help*: this list",
    ]
)


def text_block(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def card_item(view: IncidentView, people: People) -> CardItem:
    return CardItem.of_incident(view.incident, view.service_name, people)


def service_line(service: ServiceView, incidents: Sequence[IncidentView], people: People) -> str:
    icon = ":large_green_circle:" if service.health is Health.HEALTHY else ":red_circle:"
    line = f"{icon} *{service.name}* ({service.id}): {service.health.value}"
    for view in incidents:
        if view.incident.id == service.open_incident:
            line += (
                f"\n    #{view.incident.id} {view.incident.summary}: {state_line(card_item(view, people))}"
            )
    return line


def status_blocks(
    services: Sequence[ServiceView], incidents: Sequence[IncidentView], people: People
) -> list[Block]:
    if not services:
        return [text_block("No such service.")]
    return [text_block("\n".join(service_line(s, incidents, people) for s in services))]


def incidents_blocks(incidents: Sequence[IncidentView], people: People) -> list[Block]:
    if not incidents:
        return [text_block(":large_green_circle: No open incident.")]
    blocks: list[Block] = []
    for view in incidents:
        blocks += item_blocks(card_item(view, people))
    return blocks


def oncall_line(rotation: Rotation, catalog: Catalog, now: datetime) -> str:
    """Who holds the rotation now, and who takes it at the next handoff."""

    def name(member: str) -> str:
        person = catalog.people.get(PersonId(member))
        return person.name if person else member

    index = rotation.shift_index(now)
    if index is None:
        return f"*{rotation.id}*: starts {hhmm(rotation.handoff(0))} with {name(rotation.members[0])}"
    current = rotation.members[index % len(rotation.members)]
    following = rotation.members[(index + 1) % len(rotation.members)]
    return f"*{rotation.id}*: {name(current)} now; {name(following)} from {hhmm(rotation.handoff(index + 1))}"


def home_view(
    mine: Sequence[IncidentView],
    services: Sequence[ServiceView],
    open_incidents: Sequence[IncidentView],
    people: People,
) -> dict[str, object]:
    """The App Home tab: the user's open incidents with their buttons, then every service's health."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "Your open incidents"}}]
    blocks += incidents_blocks(mine, people)
    blocks += [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Services"}},
        *status_blocks(services, open_incidents, people),
    ]
    return {"type": "home", "blocks": blocks}
