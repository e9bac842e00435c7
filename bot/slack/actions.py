"""The card buttons: Acknowledge and Resolve, by a Slack user linked to a person of the config."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from adapters.slack_card_blocks import Action
from bot.slack.context import SlackContext
from bot.slack.home import publish_home
from domain.model import IncidentId


def register(app: App, ctx: SlackContext) -> None:
    @app.action(str(Action.ACKNOWLEDGE))
    def acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        person = ctx.linked_person(body["user"]["id"])
        ctx.pager.acknowledge(IncidentId(int(action["value"])), person.id)
        refresh_home(ctx, client, body)

    @app.action(str(Action.RESOLVE))
    def resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        person = ctx.linked_person(body["user"]["id"])
        ctx.pager.resolve(IncidentId(int(action["value"])), person.id)
        refresh_home(ctx, client, body)


def refresh_home(ctx: SlackContext, client: WebClient, body: dict[str, Any]) -> None:
    """A button pressed in the App Home: show the tab again with the incident's new state.

    Cards in messages are not touched here: the card updater does that for every card, after commit.
    """
    if (body.get("view") or {}).get("type") == "home":
        publish_home(ctx, client, body["user"]["id"])
