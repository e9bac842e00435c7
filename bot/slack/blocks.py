"""Block Kit for what the bot says: /pager answers and the App Home tab, short enough for a phone.

Every answer fits Slack's limits (50 blocks in a message, 100 in the Home tab, 3,000 characters in a
section): what does not fit is counted in a last line ("…and 7 more open incidents"). Names and
summaries are escaped as the cards escape them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from adapters.slack_card_blocks import (
    MESSAGE_BLOCKS,
    NAME_TEXT,
    SECTION_TEXT,
    VIEW_BLOCKS,
    Block,
    CardItem,
    escaped,
    hhmm,
    item_blocks,
    shortened,
    state_line,
    text_section,
)
from domain.model import Catalog, Health, Person, PersonId
from domain.queries import IncidentView, ServiceView
from domain.rotation import Rotation

People = Mapping[PersonId, Person]
# A summary in the one-line listing of `/pager status` (the card shows it whole).
SUMMARY_IN_LINE = 300

HELP = "\n".join(
    [
        "*/pager status [service]*: services, their health and open incidents",
        "*/pager incidents*: open incidents, with buttons",
        "*/pager ack <id>*, */pager resolve <id>*: act on an incident",
        "*/pager oncall [rotation]*: who is on call now and next",
        "*/pager heartbeat pause|resume <name>*: stop or restart watching a heartbeat",
        "*/pager maintenance <service> <duration> [reason]*, */pager maintenance end <id>*: keep a service"
        " quiet for a while; what still fires at the end pages then",
        "*/pager help*: this list",
    ]
)


def text_block(text: str) -> Block:
    return text_section(text)


def card_item(view: IncidentView, people: People) -> CardItem:
    return CardItem.of_incident(view.incident, view.service_name, people)


def text_sections(lines: Sequence[str], most: int, what: str) -> list[Block]:
    """`lines` packed into at most `most` sections of Slack's 3,000 characters; when they do not all
    fit, the last section says how many `what` were left out."""
    fitting = [shortened(line, SECTION_TEXT) for line in lines]
    packed = _packed(fitting)
    if len(packed) > most:
        packed = _packed(fitting[: sum(count for _, count in packed[: most - 1])])
        packed.append((f"…and {len(lines) - sum(count for _, count in packed)} more {what}.", 0))
    return [text_block(text) for text, _ in packed]


def _packed(lines: Sequence[str]) -> list[tuple[str, int]]:
    """(section text, how many lines it holds), each section as full as 3,000 characters allow."""
    packed: list[tuple[str, int]] = []
    for line in lines:
        if packed and len(packed[-1][0]) + 1 + len(line) <= SECTION_TEXT:
            packed[-1] = (f"{packed[-1][0]}\n{line}", packed[-1][1] + 1)
        else:
            packed.append((line, 1))
    return packed


def service_line(service: ServiceView, incidents: Sequence[IncidentView], people: People) -> str:
    icon = ":large_green_circle:" if service.health is Health.HEALTHY else ":red_circle:"
    name, service_id = escaped(service.name, NAME_TEXT), escaped(service.id, NAME_TEXT)
    line = f"{icon} *{name}* ({service_id}): {service.health.value}"
    for view in incidents:
        if view.incident.id == service.open_incident:
            summary = escaped(view.incident.summary, SUMMARY_IN_LINE)
            line += f"\n    #{view.incident.id} {summary}: {state_line(card_item(view, people))}"
    return line


def status_blocks(
    services: Sequence[ServiceView],
    incidents: Sequence[IncidentView],
    people: People,
    most: int = MESSAGE_BLOCKS,
) -> list[Block]:
    if not services:
        return [text_block("No such service.")]
    return text_sections([service_line(s, incidents, people) for s in services], most, "services")


def incidents_blocks(
    incidents: Sequence[IncidentView], people: People, most: int = MESSAGE_BLOCKS
) -> list[Block]:
    """Each incident with its buttons, as many as `most` blocks hold, then how many more there are."""
    if not incidents:
        return [text_block(":large_green_circle: No open incident.")]
    blocks: list[Block] = []
    for shown, view in enumerate(incidents):
        more = item_blocks(card_item(view, people))
        room = most - 1 if shown < len(incidents) - 1 else most  # the last line, if any, needs a block
        if len(blocks) + len(more) > room:
            blocks.append(text_block(f"…and {len(incidents) - shown} more open incidents, not shown here."))
            break
        blocks += more
    return blocks


def oncall_line(rotation: Rotation, catalog: Catalog, now: datetime) -> str:
    """Who holds the rotation now, and who takes it at the next handoff."""

    def name(member: str) -> str:
        person = catalog.people.get(PersonId(member))
        return escaped(person.name if person else member, NAME_TEXT)

    title = escaped(rotation.id, NAME_TEXT)
    current = rotation.on_call(now)
    following = rotation.handoffs(now, 1)
    if current is None and not following:
        return f"*{title}*: nobody on call"
    if not following:
        return f"*{title}*: {name(current or '')} now"
    when, person = following[0]
    upcoming = f"{name(person)} from {hhmm(when)}" if person else f"nobody from {hhmm(when)}"
    if current is None and person and now < rotation.start:
        return f"*{title}*: starts {hhmm(when)} with {name(person)}"
    if current is None:
        return f"*{title}*: nobody now; {upcoming}"
    return f"*{title}*: {name(current)} now; {upcoming}"


def calendar_line(url: str) -> str:
    """A link to the caller's own on-call calendar: shown to them alone, as it holds the feed's secret."""
    return (
        f":calendar: <{url}|Your on-call calendar>: add this link to your calendar app as a subscription "
        "(from a URL) to see your shifts. It is yours alone: anyone with it sees them."
    )


def home_view(
    mine: Sequence[IncidentView],
    services: Sequence[ServiceView],
    open_incidents: Sequence[IncidentView],
    people: People,
    extra: Sequence[Block] = (),
) -> dict[str, object]:
    """The App Home tab: the user's open incidents with their buttons, then every service's health, then
    `extra` (a few blocks: maintenance windows), within the tab's 100 blocks (the services keep at least
    10 of them)."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "Your open incidents"}}]
    blocks += incidents_blocks(mine, people, VIEW_BLOCKS - 3 - 10)
    blocks += [{"type": "divider"}, {"type": "header", "text": {"type": "plain_text", "text": "Services"}}]
    blocks += status_blocks(services, open_incidents, people, VIEW_BLOCKS - len(blocks) - len(extra))
    return {"type": "home", "blocks": blocks + list(extra)}
