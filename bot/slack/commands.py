"""The `/pager` slash command: status, incidents, ack, resolve, oncall, help; every answer ephemeral."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from adapters.slack_card_blocks import MESSAGE_BLOCKS, NAME_TEXT, display_name, escaped
from bot.slack import heartbeat_commands, maintenance_commands
from bot.slack.blocks import (
    HELP,
    calendar_line,
    incidents_blocks,
    oncall_line,
    status_blocks,
    text_block,
    text_sections,
)
from bot.slack.context import SlackContext
from domain.model import IncidentId

Blocks = list[dict[str, Any]]


def register(app: App, ctx: SlackContext) -> None:
    @app.command("/pager")
    def pager(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        verb, *args = (command.get("text") or "help").split() or ["help"]
        verb = verb.lower()
        if verb in {"ack", "resolve"}:
            # Answer Slack within its 3 seconds first; the outcome follows through response_url.
            ack()
            respond(text=act(ctx, verb, args, command["user_id"]), response_type="ephemeral")
            return
        if verb == "maintenance":
            ack()
            reply = maintenance_commands.act(ctx, args, command["user_id"])
            respond(text=reply, response_type="ephemeral")
            return
        if verb == "heartbeat":
            ack()
            respond(text=heartbeat_commands.act(ctx, args, command["user_id"]), response_type="ephemeral")
            return
        blocks = read(ctx, verb, args, command.get("user_id"))
        ack(text=blocks[0]["text"]["text"][:150], blocks=blocks, response_type="ephemeral")


def act(ctx: SlackContext, verb: str, args: list[str], slack_user_id: str) -> str:
    """Acknowledge or resolve an incident as the person linked to the Slack user; the reply text."""
    if len(args) != 1 or not args[0].lstrip("#").isdigit():
        return f"Usage: `/pager {verb} <incident id>`, as in `/pager {verb} 12`."
    person = ctx.linked_person(slack_user_id)
    incident_id = IncidentId(int(args[0].lstrip("#")))
    name = escaped(person.name, NAME_TEXT)  # names come from the config: shown as text
    if verb == "ack":
        incident = ctx.pager.acknowledge(incident_id, person.id)
        if incident.acknowledged_by != person.id:  # a second acknowledgement changes nothing
            who = escaped(display_name(incident.acknowledged_by or "?", ctx.catalog.people), NAME_TEXT)
            return f"Incident #{incident_id} was already acknowledged by {who}."
        return f"Incident #{incident_id} acknowledged by {name}: escalation stopped."
    ctx.pager.resolve(incident_id, person.id)
    return f"Incident #{incident_id} resolved by {name}."


def read(ctx: SlackContext, verb: str, args: list[str], slack_user_id: str | None = None) -> Blocks:
    """The blocks answering a read-only subcommand (help for anything unknown), for `slack_user_id`."""
    if verb == "status":
        services = [s for s in ctx.queries.services() if not args or s.id in args]
        if args and not services:
            wanted = escaped(args[0], NAME_TEXT)
            return [text_block(f"Unknown service `{wanted}`. `/pager status` lists them all.")]
        watched = [v for v in ctx.pager.heartbeats.views() if not args or v.check.service in args]
        heartbeats = heartbeat_commands.heartbeat_blocks(watched, ctx.catalog.people)
        view, people = ctx.pager.maintenance.view(), ctx.catalog.people
        windows = maintenance_commands.maintenance_blocks(view, people, only=args)
        most = MESSAGE_BLOCKS - len(heartbeats) - len(windows)
        found = status_blocks(services, ctx.queries.incidents(), ctx.catalog.people, most)
        return found + heartbeats + windows
    if verb == "incidents":
        return incidents_blocks(ctx.queries.incidents(), ctx.catalog.people)
    if verb == "oncall":
        return oncall(ctx, args, slack_user_id)
    prefix = "" if verb == "help" else f"Unknown subcommand `{escaped(verb, NAME_TEXT)}`.\n"
    return [text_block(prefix + HELP)]


def oncall(ctx: SlackContext, args: list[str], slack_user_id: str | None = None) -> Blocks:
    """Who holds each rotation (or those in `args`), then a link to the caller's own calendar feed."""
    rotations = [r for r in ctx.catalog.rotations.values() if not args or r.id in args]
    if not ctx.catalog.rotations:
        return [text_block("No rotation is configured yet: add `rotations:` to the config.")]
    if not rotations:
        return [
            text_block(f"Unknown rotation `{escaped(args[0], NAME_TEXT)}`. `/pager oncall` lists them all.")
        ]
    now = ctx.clock.now()
    url = ctx.calendar_url(slack_user_id) if slack_user_id else None
    link = [text_block(calendar_line(url))] if url else []
    lines = [oncall_line(r, ctx.catalog, now) for r in rotations]
    return text_sections(lines, MESSAGE_BLOCKS - len(link), "rotations") + link
