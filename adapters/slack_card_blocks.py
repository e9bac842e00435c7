"""The incident card in Block Kit: what it shows in each state, and the ids of its buttons.

Whatever a monitor or the config wrote (summary, service name, who acted) is shown as text: `&`, `<`
and `>` are escaped, as Slack's "Formatting text" page asks (`<!channel>` would notify a channel,
`<https://x|y>` would render a link), and mrkdwn objects are `verbatim` so that Slack links nothing by
itself. Long text is shortened with an ellipsis to Slack's limits rather than refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from domain.delivery_ports import PageItem
from domain.model import Incident, IncidentId, IncidentState, Person, PersonId

Block = dict[str, Any]

# Slack's Block Kit limits (docs.slack.dev/reference/block-kit): blocks per message and per Home tab,
# characters of a text object (a section's text) and of a header.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3_000
HEADER_TEXT = 150
# The fallback `text` is what notifications and screen readers show: Slack takes 40,000 characters,
# a notification needs far fewer.
FALLBACK_TEXT = 3_000
# What one incident may take of a line: a service or a person name longer than this is cut.
NAME_TEXT = 150
# A bundled card is a header, then a divider, a section and buttons per incident.
BLOCKS_PER_ITEM = 3
ITEMS_PER_CARD = (MESSAGE_BLOCKS - 1) // BLOCKS_PER_ITEM
# Slack also refuses a message whose blocks hold too much text in all (`msg_blocks_too_long`): about
# 12,000 characters, undocumented but confirmed by Slack's engineers (slackapi/bolt-js#2509). A card
# is filled to 10,000, leaving each incident room to grow when its state line later names who acted.
CARD_TEXT = 10_000
STATE_GROWTH = 200

_STATE_ICONS = MappingProxyType(
    {
        IncidentState.TRIGGERED: ":red_circle:",
        IncidentState.ACKNOWLEDGED: ":large_yellow_circle:",
        IncidentState.RESOLVED: ":large_green_circle:",
    }
)
_ESCAPES = MappingProxyType({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ELLIPSIS = "…"


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
        who = None if who is None else display_name(who, people or {})
        return cls(
            incident.id,
            service_name,
            incident.summary,
            incident.state,
            incident.level,
            since,
            who,
            incident.exhausted,
        )


def escaped(text: str, limit: int | None = None) -> str:
    """`text` with `&`, `<`, `>` escaped for mrkdwn, cut to at most `limit` characters (counted after
    escaping) with an ellipsis; an entity is never cut in half."""
    if limit is None:
        return "".join(_ESCAPES.get(char, char) for char in text)
    if len(text) <= limit and len(whole := escaped(text)) <= limit:
        return whole
    budget = limit - len(_ELLIPSIS)
    pieces: list[str] = []
    length = 0
    for char in text:
        piece = _ESCAPES.get(char, char)
        if length + len(piece) > budget:
            break
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces) + _ELLIPSIS


def shortened(text: str, limit: int) -> str:
    """Plain text (a header's, a button's) cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - len(_ELLIPSIS)] + _ELLIPSIS


def mrkdwn(text: str) -> Block:
    """A mrkdwn text object that Slack renders without linking URLs or names by itself."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def text_section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def display_name(who: str, people: Mapping[PersonId, Person]) -> str:
    """A person's name; anything else (a monitor that resolved the incident, say) as it is."""
    person = people.get(PersonId(who))
    return person.name if person else who


def hhmm(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def state_line(item: CardItem) -> str:
    """`:red_circle: Triggered · level 2 · since 2026-11-30 09:00 UTC`, with who acted when someone did
    (escaped mrkdwn)."""
    parts = [f"{_STATE_ICONS[item.state]} {item.state.value.capitalize()}"]
    if item.who:
        parts[0] += f" by {escaped(item.who, NAME_TEXT)}"
    if item.state is IncidentState.TRIGGERED:
        parts.append("escalation exhausted" if item.exhausted else f"level {item.level}")
    parts.append(hhmm(item.since))
    return " · ".join(parts)


def item_text(item: CardItem) -> str:
    """The section of one incident: title, summary (shortened to what the section leaves), state."""
    title = f"*#{item.incident_id} {escaped(item.service_name, NAME_TEXT)}*"
    state = state_line(item)
    room = SECTION_TEXT - len(title) - len(state) - 2
    return f"{title}\n{escaped(item.summary, room)}\n{state}"


def item_blocks(item: CardItem) -> list[Block]:
    """A section for the incident, and the buttons that still make sense in its state."""
    blocks: list[Block] = [text_section(item_text(item))]
    buttons = []
    if item.state is IncidentState.TRIGGERED:
        buttons.append(_button("Acknowledge", Action.ACKNOWLEDGE, item.incident_id, "primary"))
    if item.state is not IncidentState.RESOLVED:
        buttons.append(_button("Resolve", Action.RESOLVE, item.incident_id, "danger"))
    if buttons:
        blocks.append({"type": "actions", "block_id": f"incident-{item.incident_id}", "elements": buttons})
    return blocks


def card(items: Sequence[CardItem]) -> tuple[str, list[Block]]:
    """The fallback text (notifications, screen readers) and blocks of ONE message listing `items`.

    At most ITEMS_PER_CARD incidents fit in Slack's 50 blocks: `card_parts` splits a longer list; given
    more here, the card shows what fits and says how many more there are."""
    if len(items) == 1:
        item = items[0]
        line = f"#{item.incident_id} {item.service_name}: {item.summary} ({item.state.value})"
        return escaped(line, FALLBACK_TEXT), item_blocks(item)
    shown = items if len(items) <= ITEMS_PER_CARD else items[: ITEMS_PER_CARD - 1]
    text = f"{len(items)} incidents need you"
    header = {"type": "plain_text", "text": shortened(text, HEADER_TEXT)}
    blocks: list[Block] = [{"type": "header", "text": header}]
    for item in shown:
        blocks += [{"type": "divider"}, *item_blocks(item)]
    if len(shown) < len(items):
        blocks.append(text_section(f"…and {len(items) - len(shown)} more, not shown here."))
    return text, blocks


def card_parts(items: Sequence[CardItem]) -> list[list[CardItem]]:
    """`items` in the groups that make one message each, in order: at most ITEMS_PER_CARD incidents,
    and no more text than CARD_TEXT (a card update must fit too)."""
    parts: list[list[CardItem]] = []
    room = 0
    for item in items:
        weight = len(item_text(item)) + STATE_GROWTH
        if not parts or len(parts[-1]) == ITEMS_PER_CARD or weight > room:
            parts.append([])
            room = CARD_TEXT
        parts[-1].append(item)
        room -= weight
    return parts


def _button(label: str, action: Action, incident_id: int, style: str) -> Block:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": str(action),
        "value": str(incident_id),
        "style": style,
    }
