"""The real app with Slack in Socket Mode: a real socket to the fake Socket Mode server, no signing secret."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from starlette.testclient import TestClient

from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from bot.slack.socket_mode import Backoff, SlackSocketMode
from domain.model import Channel, IncidentId
from tests.e2e.processes import wait_for
from tests.e2e.slack_harness import ALICE_SLACK, BOT_TOKEN, CHANNEL_ID, CONFIG, PAYMENTS_KEY
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier
from tests.slack_socket_fake import (
    APP_TOKEN,
    Envelope,
    FakeSlackWithSocketMode,
    FakeSocketMode,
    block_actions,
    event_callback,
    slash_command,
)

# Quick to notice a dead connection and to reconnect: the tests wait on what happens, never on a clock.
TEST_BACKOFF = Backoff(first=0.05, most=0.5)
PING_INTERVAL_S = 0.2


@dataclass
class SocketHarness:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    slack: FakeSlackWithSocketMode
    interactions: int = 0

    @property
    def sockets(self) -> FakeSocketMode:
        return self.slack.sockets

    @property
    def socket(self) -> SlackSocketMode:
        return socket_of(self.runtime)

    def alert(self, summary: str = "DB down") -> httpx2.Response:
        headers = {"Authorization": f"Bearer {PAYMENTS_KEY}"}
        return self.client.post("/webhooks/generic", json={"summary": summary}, headers=headers)

    def deliver(self) -> None:
        """Send what the outbox owes, then bring every Slack card up to date."""
        self.clock.advance(self.runtime.dispatcher.policy.bundle_window)
        self.runtime.dispatcher.dispatch_due()
        assert self.runtime.slack is not None
        self.runtime.slack.updater.drain()

    def response_url(self) -> str:
        """Each interaction has its own response_url, as Slack's do."""
        self.interactions += 1
        return self.slack.response_url(f"socket-{self.interactions}")

    def click(
        self, action: str, incident_id: int, user: str = ALICE_SLACK, on: int | None = None
    ) -> Envelope:
        payload = block_actions(action, str(incident_id), user, CHANNEL_ID, self.response_url())
        return self.sockets.wait_acked(self.sockets.send("interactive", payload, on))

    def command(self, text: str, user: str = ALICE_SLACK) -> Envelope:
        payload = slash_command(text, user, CHANNEL_ID, self.response_url())
        return self.sockets.wait_acked(self.sockets.send("slash_commands", payload))

    def event(self, event: dict[str, Any]) -> Envelope:
        return self.sockets.wait_acked(self.sockets.send("events_api", event_callback(event)))

    def state(self, incident_id: int = 1) -> str:
        return str(self.runtime.queries.incident(IncidentId(incident_id)).incident.state)

    def until(self, condition: Callable[[], bool], what: str) -> None:
        wait_for(condition, 10, what)


def socket_of(runtime: Runtime) -> SlackSocketMode:
    assert runtime.slack is not None and runtime.slack.socket is not None
    return runtime.slack.socket


def socket_runtime(
    database_url: str, tmp_path: Path, slack: FakeSlackWithSocketMode, app_token: str
) -> Runtime:
    settings = Settings(
        database_url=database_url,
        config_path=tmp_path / "unused.yaml",
        slack_bot_token=BOT_TOKEN,
        slack_app_token=app_token,
        slack_api_url=slack.api_url,
    )
    clock = FakeClock()
    wakeups = FakeWakeUps(clock)
    notifiers = {Channel.EMAIL: RecordingNotifier(), Channel.SMS: RecordingNotifier()}
    config = parse_config(CONFIG, "test.yaml", {})
    runtime = bootstrap(settings, config=config, clock=clock, wakeups=wakeups, notifiers=notifiers)
    wakeups.engine = runtime.pager.engine
    socket_of(runtime).ping_interval = PING_INTERVAL_S
    socket_of(runtime).backoff = TEST_BACKOFF
    return runtime


def make_socket_harness(
    database_url: str, tmp_path: Path, slack: FakeSlackWithSocketMode, *, app_token: str = APP_TOKEN
) -> Iterator[SocketHarness]:
    """The app, not started (the test drives the outbox), with its Slack socket started."""
    runtime = socket_runtime(database_url, tmp_path, slack, app_token)
    assert isinstance(runtime.clock, FakeClock)
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        harness = SocketHarness(client, runtime, runtime.clock, slack)
        harness.socket.start()
        try:
            yield harness
        finally:
            harness.socket.stop()
    runtime.intake.stop()
    runtime.engine.dispose()
