"""The App Home tab: the user's open incidents with buttons, and every service's health."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.blocks import home_view
from bot.slack.context import NotLinked, SlackContext
from bot.slack.maintenance_commands import maintenance_blocks
from domain.model import IncidentState


def register(app: App, ctx: SlackContext) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(ctx, client, event["user"])


def publish_home(ctx: SlackContext, client: WebClient, slack_user_id: str) -> None:
    """Mine: every triggered incident (anyone on call may take it) and those this user acknowledged."""
    try:
        person_id: str | None = ctx.linked_person(slack_user_id).id
    except NotLinked:
        person_id = None
    open_incidents = ctx.queries.incidents()
    mine = [
        view
        for view in open_incidents
        if view.incident.state is IncidentState.TRIGGERED or view.incident.acknowledged_by == person_id
    ]
    windows = maintenance_blocks(ctx.pager.maintenance.view(), ctx.catalog.people)
    extra: list[dict[str, Any]] = [{"type": "divider"}, _MAINTENANCE, *windows] if windows else []
    client.views_publish(
        user_id=slack_user_id,
        view=home_view(mine, ctx.queries.services(), open_incidents, ctx.catalog.people, extra),
    )


_MAINTENANCE: dict[str, Any] = {"type": "header", "text": {"type": "plain_text", "text": "Maintenance"}}
