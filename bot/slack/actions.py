"""The card buttons: Acknowledge and Resolve, by a Slack user linked to a person of the config."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from adapters.slack_card import Action
from bot.slack.context import SlackContext
from domain.model import IncidentId


def register(app: App, ctx: SlackContext) -> None:
    @app.action(str(Action.ACKNOWLEDGE))
    def acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        person = ctx.linked_person(body["user"]["id"])
        ctx.pager.acknowledge(IncidentId(int(action["value"])), person.id)

    @app.action(str(Action.RESOLVE))
    def resolve(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        person = ctx.linked_person(body["user"]["id"])
        ctx.pager.resolve(IncidentId(int(action["value"])), person.id)
