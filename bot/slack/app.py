"""The Bolt app factory: listener groups register themselves; one error handler answers every refusal."""

from __future__ import annotations

import logging
from typing import Any

import structlog
from slack_bolt import App, BoltResponse, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from adapters.slack_card_blocks import CardItem, escaped, state_line
from bot.slack import actions, commands, home
from bot.slack.context import NotLinked, SlackContext
from domain.errors import IncidentAlreadyResolved, PagerError
from domain.model import IncidentId

_log = structlog.get_logger("pager.slack")


def create_bolt_app(ctx: SlackContext, *, token: str, signing_secret: str, client: WebClient) -> App:
    """A Bolt app answering within the request (`process_before_response`), so nothing runs after the
    HTTP answer and tests are deterministic. `authorize` hands out the bot token without calling
    auth.test."""

    def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=None, bot_token=token)

    app = App(
        signing_secret=signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=True,
        logger=logging.getLogger("pager.slack.bolt"),
    )
    for group in (actions, commands, home):
        group.register(app, ctx)

    @app.error
    def refuse(error: Exception, body: dict[str, Any], respond: Respond, client: WebClient) -> BoltResponse:
        if not isinstance(error, (PagerError, NotLinked)):
            _log.error("slack listener failed", error=type(error).__name__, detail=str(error))
            tell(body, respond, client, "Something went wrong: the action may not have been applied.")
            return BoltResponse(status=200, body="")
        tell(body, respond, client, refusal(ctx, error))
        return BoltResponse(status=200, body="")

    return app


def refusal(ctx: SlackContext, error: Exception) -> str:
    """What the user is told when the pager refused what they asked."""
    if isinstance(error, NotLinked):
        return (
            f"Your Slack account is not linked to a pager person: nothing was changed. Ask whoever keeps "
            f"the pager config to add `slack: {error.slack_user_id}` to your entry under `people`."
        )
    if isinstance(error, IncidentAlreadyResolved):
        view = ctx.queries.incident(IncidentId(error.incident_id))
        current = state_line(CardItem.of_incident(view.incident, view.service_name, ctx.catalog.people))
        return f"Incident #{error.incident_id} is already resolved: {current}"
    # A domain error may quote what the user typed: shown as text, like everything not ours.
    return escaped(f"{str(error)[:1].upper()}{str(error)[1:]}.", 3_000)


def tell(body: dict[str, Any], respond: Respond, client: WebClient, text: str) -> None:
    """An ephemeral answer where the request came from; a DM from the App Home, which has neither."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    try:
        if body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif channel and user:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
        elif user:
            client.chat_postMessage(channel=user, text=text)
    # The request was handled; only its answer is lost. Raising here would make Slack see a 500.
    except (OSError, ValueError, SlackClientError) as exc:
        _log.warning("slack answer not delivered", error=type(exc).__name__, detail=str(exc))
