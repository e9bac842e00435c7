"""Building the Slack side from settings: Web API client, notifier, card updater and the Bolt app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine

from adapters.db.slack_store import SqlSlackStore
from adapters.slack_api import SlackWebApi
from adapters.slack_card_updates import SlackCardRelay, SlackCardUpdater
from adapters.slack_chat import SlackChatNotifier
from bot.calendar_api import CalendarFeeds
from bot.settings import Settings
from bot.slack.app import create_bolt_app
from bot.slack.context import SlackContext
from bot.slack.http import SlackSignature
from bot.slack.socket_mode import SlackSocketMode
from domain.model import Catalog, ServiceId
from domain.pager import Pager
from domain.ports import Clock, UnitOfWorkFactory
from domain.queries import Queries


@dataclass
class SlackParts:
    """The Slack adapters. `bolt_app` exists once a signing secret or an app token is set; with the app
    token, requests arrive over `socket` (Socket Mode), otherwise over HTTP, checked with `signature`."""

    api: SlackWebApi
    store: SqlSlackStore
    notifier: SlackChatNotifier
    updater: SlackCardUpdater
    relay: SlackCardRelay
    bolt_app: App | None = None
    signature: SlackSignature | None = None
    socket: SlackSocketMode | None = None


def wire_slack(
    settings: Settings, catalog: Catalog, engine: Engine, uow: UnitOfWorkFactory, clock: Clock
) -> SlackParts | None:
    """The Slack adapters, or None without SLACK_BOT_TOKEN (Slack pages then go to the console)."""
    if not settings.slack_bot_token:
        return None
    # Retries are SlackWebApi's job (it honours Retry-After); the SDK's own would hide 429s from it.
    client = WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10, retry_handlers=[]
    )
    api = SlackWebApi(client)
    store = SqlSlackStore(engine)

    def service_name(service_id: ServiceId) -> str:
        service = catalog.services.get(service_id)
        return service.name if service else service_id

    updater = SlackCardUpdater(api, store, uow, service_name, clock, catalog.people)
    notifier = SlackChatNotifier(api, store, clock, uow)
    return SlackParts(api, store, notifier, updater, SlackCardRelay(updater))


def attach_bolt_app(
    parts: SlackParts,
    settings: Settings,
    pager: Pager,
    queries: Queries,
    clock: Clock,
    on_reconnect: Callable[[], None] = lambda: None,
) -> None:
    """Give the Slack side its Bolt app, which drives `pager`; left out while neither a signing secret nor
    an app token is set. The app token (Socket Mode) wins: then nothing arrives over HTTP."""
    if not settings.slack_bot_token or not (settings.slack_signing_secret or settings.slack_app_token):
        return
    ctx = SlackContext(pager, queries, pager.catalog, clock, CalendarFeeds.of(settings))
    parts.bolt_app = create_bolt_app(
        ctx,
        token=settings.slack_bot_token,
        # Bolt checks no signature on what comes over the socket: there a signing secret may be unset.
        signing_secret=settings.slack_signing_secret or "",
        # Bolt gets its bot token from `authorize`; a client of its own without one keeps it from warning.
        client=WebClient(base_url=settings.slack_api_url, timeout=10),
    )
    if settings.slack_app_token:
        connections = WebClient(base_url=settings.slack_api_url, timeout=10)  # apps.connections.open
        parts.socket = SlackSocketMode(
            parts.bolt_app, settings.slack_app_token, connections, on_reconnect=on_reconnect
        )
    elif settings.slack_signing_secret:
        parts.signature = SlackSignature(settings.slack_signing_secret)
