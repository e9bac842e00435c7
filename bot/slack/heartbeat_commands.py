"""`/pager heartbeat pause|resume <name>`, and the heartbeats' lines in `/pager status`."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.slack_card_blocks import NAME_TEXT, Block, display_name, escaped, hhmm
from bot.slack.blocks import People, text_sections
from bot.slack.context import SlackContext
from domain.heartbeat_model import HeartbeatState
from domain.heartbeats import HeartbeatView

USAGE = "Usage: `/pager heartbeat pause <name>` or `/pager heartbeat resume <name>`."
ICONS = {
    HeartbeatState.OK: ":large_green_circle:",
    HeartbeatState.OVERDUE: ":red_circle:",
    HeartbeatState.PAUSED: ":double_vertical_bar:",
}


def act(ctx: SlackContext, args: list[str], slack_user_id: str) -> str:
    """Pause or resume a heartbeat as the person linked to the Slack user; the reply text."""
    if len(args) != 2 or args[0].lower() not in {"pause", "resume"}:
        return USAGE
    person = ctx.linked_person(slack_user_id)
    verb, name = args[0].lower(), args[1]
    shown = escaped(name, NAME_TEXT)
    if verb == "pause":
        ctx.pager.heartbeats.pause(name, person.id)
        who = escaped(person.name, NAME_TEXT)
        return f"Heartbeat `{shown}` paused by {who}: it will not page until resumed."
    record = ctx.pager.heartbeats.resume(name)
    due = f" The next ping is due by {hhmm(record.deadline)}." if record.deadline else ""
    return f"Heartbeat `{shown}` resumed.{due}"


def heartbeat_line(view: HeartbeatView, people: People) -> str:
    name, record = escaped(view.check.name, NAME_TEXT), view.record
    line = f"{ICONS[view.state]} heartbeat *{name}*: {view.state.value}"
    if record is not None and record.last_ping_at is not None:
        line += f", last ping {hhmm(record.last_ping_at)}"
    if record is not None and record.deadline is not None and view.state is HeartbeatState.OK:
        line += f", next by {hhmm(record.deadline)}"
    if record is not None and view.state is HeartbeatState.PAUSED and record.paused_by:
        line += f" by {escaped(display_name(record.paused_by, people), NAME_TEXT)}"
    return line


def heartbeat_blocks(views: Sequence[HeartbeatView], people: People, most: int = 1) -> list[Block]:
    """The heartbeats' lines in at most `most` sections; none when no heartbeat is configured."""
    return text_sections([heartbeat_line(v, people) for v in views], most, "heartbeats") if views else []
