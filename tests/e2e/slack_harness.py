"""The real HTTP app with Slack configured against a fake Slack, and requests signed as Slack signs them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
from starlette.testclient import TestClient

from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from domain.model import Channel, IncidentId
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier
from tests.slack_fake import FakeSlack, sign

SIGNING_SECRET = "slack-signing-secret-for-tests"
BOT_TOKEN = "xoxb-test-token"
PAYMENTS_KEY = "payments-key-0123456789"
SEARCH_KEY = "search-key-0123456789"
ALICE_SLACK = "U0ALICE"
STRANGER_SLACK = "U0STRANGER"
BOB_SLACK = "U0BOB"
CHANNEL_ID = "CPAYMENTSONCALL"

CONFIG = f"""
people:
  alice: {{name: Alice, email: alice@example.com, slack: {ALICE_SLACK}}}
  bob: {{name: Bob, email: bob@example.com, slack: {BOB_SLACK}}}
rotations:
  primary: {{members: [alice, bob], start: "2026-11-23T09:00:00+00:00", shift: 7d, timezone: UTC}}
escalation_policies:
  default:
    ack_timeout: 5m
    levels:
      - targets: [person:alice, "slack:#payments-oncall"]
      - targets: [person:bob]
services:
  payments: {{name: Payments API, escalation_policy: default, integration_keys: ["{PAYMENTS_KEY}"]}}
  search: {{name: Search, escalation_policy: default, integration_keys: ["{SEARCH_KEY}"]}}
"""


@dataclass
class SlackHarness:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    wakeups: FakeWakeUps
    slack: FakeSlack
    email: RecordingNotifier
    slept: list[float] = field(default_factory=list)
    triggers: Iterator[int] = field(default_factory=itertools.count)

    def trigger_id(self) -> str:
        """Unique per request, as Slack's are: two clicks never carry the same body (nor signature)."""
        return f"trigger.{next(self.triggers)}"

    def alert(self, summary: str = "DB down", key: str = PAYMENTS_KEY) -> httpx2.Response:
        headers = {"Authorization": f"Bearer {key}"}
        return self.client.post("/webhooks/generic", json={"summary": summary}, headers=headers)

    def deliver(self) -> None:
        """Send what the outbox owes, then bring every Slack card up to date."""
        self.clock.advance(self.runtime.dispatcher.policy.bundle_window)
        self.runtime.dispatcher.dispatch_due()
        self.drain()

    def drain(self) -> None:
        if self.runtime.slack is not None:
            self.runtime.slack.updater.drain()

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.wakeups.fire_due()
        self.deliver()

    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> httpx2.Response:
        signed = sign(SIGNING_SECRET, body) if headers is None else headers
        return self.client.post(
            "/slack/events", content=body, headers={**signed, "Content-Type": content_type}
        )

    def click(self, action: str, incident_id: int, user: str = ALICE_SLACK) -> httpx2.Response:
        trigger = self.trigger_id()  # each interaction has its own response_url, as Slack's do
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "user": {"id": user},
            "channel": {"id": CHANNEL_ID},
            "container": {"type": "message", "channel_id": CHANNEL_ID, "message_ts": "1700000000.000001"},
            "response_url": self.slack.response_url(trigger),
            "trigger_id": trigger,
            "actions": [{"type": "button", "action_id": action, "value": str(incident_id), "block_id": "b"}],
        }
        return self.post(form({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click_in_home(self, action: str, incident_id: int, user: str = ALICE_SLACK) -> httpx2.Response:
        """A button of the App Home tab: such a click has neither channel nor response_url."""
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "user": {"id": user},
            "view": {"type": "home", "id": "V1"},
            "container": {"type": "view", "view_id": "V1"},
            "trigger_id": self.trigger_id(),
            "actions": [{"type": "button", "action_id": action, "value": str(incident_id), "block_id": "b"}],
        }
        return self.post(form({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def command(self, text: str, user: str = ALICE_SLACK) -> httpx2.Response:
        trigger = self.trigger_id()
        fields = {
            "command": "/pager",
            "text": text,
            "user_id": user,
            "team_id": "T1",
            "api_app_id": "A1",
            "channel_id": CHANNEL_ID,
            "response_url": self.slack.response_url(trigger),
            "trigger_id": trigger,
        }
        return self.post(form(fields), "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any]) -> httpx2.Response:
        body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event": event}
        return self.post(json.dumps(body).encode(), "application/json")

    def state(self, incident_id: int = 1) -> str:
        return str(self.runtime.queries.incident(IncidentId(incident_id)).incident.state)


def form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def make_slack_harness(
    database_url: str,
    tmp_path: Path,
    slack: FakeSlack,
    *,
    token: str | None = BOT_TOKEN,
    config: str = CONFIG,
) -> Iterator[SlackHarness]:
    settings = Settings(
        database_url=database_url,
        config_path=tmp_path / "unused.yaml",
        slack_bot_token=token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
    )
    clock = FakeClock()
    wakeups = FakeWakeUps(clock)
    email = RecordingNotifier()
    notifiers = {Channel.EMAIL: email, Channel.SMS: RecordingNotifier()}
    parsed = parse_config(config, "test.yaml", {})
    runtime = bootstrap(settings, config=parsed, clock=clock, wakeups=wakeups, notifiers=notifiers)
    wakeups.engine = runtime.pager.engine
    slept: list[float] = []
    if runtime.slack is not None:
        # Pacing has its own test; here it would only slow the suite down. Slack's rate limit still
        # holds: the fake measures it on a clock that moves only when the API waits out a 429.
        runtime.slack.api.pace = 0
        slack_time = [0.0]
        slack.clock = lambda: slack_time[0]

        def wait(seconds: float) -> None:
            slept.append(seconds)
            slack_time[0] += seconds

        runtime.slack.api.sleep = wait
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        yield SlackHarness(client, runtime, clock, wakeups, slack, email, slept)
    runtime.engine.dispose()
