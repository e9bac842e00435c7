"""The real HTTP app over a real database, with a fake clock, wake-ups and senders so tests drive time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from domain.model import Channel
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier

API_TOKEN = "test-api-token"
PAYMENTS_KEY = "payments-key-0123456789"
SEARCH_KEY = "search-key-0123456789"

CONFIG = f"""
people:
  alice: {{name: Alice, sms: "+33612345678", email: alice@example.com}}
  bob: {{name: Bob, email: bob@example.com}}
escalation_policies:
  default:
    ack_timeout: 5m
    levels:
      - targets: [person:alice]
      - targets: [person:bob]
services:
  payments: {{name: Payments API, escalation_policy: default, integration_keys: ["{PAYMENTS_KEY}"]}}
  search: {{name: Search, escalation_policy: default, integration_keys: ["{SEARCH_KEY}"]}}
"""


@dataclass
class Harness:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    wakeups: FakeWakeUps
    notifiers: dict[Channel, RecordingNotifier]

    def alert(self, body: object, key: str = PAYMENTS_KEY) -> object:
        return self.client.post("/webhooks/generic", json=body, headers={"Authorization": f"Bearer {key}"})

    def api(self, method: str, path: str, body: object | None = None) -> object:
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        return self.client.request(method, path, json=body, headers=headers)

    def advance(self, delta: timedelta) -> None:
        """Let time pass: due timeouts fire, then the outbox is dispatched after a bundle window."""
        self.clock.advance(delta)
        self.wakeups.fire_due()
        self.clock.advance(self.runtime.dispatcher.policy.bundle_window)
        self.runtime.dispatcher.dispatch_due()

    def pages(self) -> list[tuple[str, str, tuple[int, ...]]]:
        return [
            (str(channel), page.address, tuple(i.incident_id for i in page.items))
            for channel, n in self.notifiers.items()
            for page in n.sent
        ]


def make_harness(
    database_url: str, tmp_path: Path, api_token: str | None = API_TOKEN, extra_config: str = ""
) -> Iterator[Harness]:
    settings = Settings(database_url=database_url, config_path=tmp_path / "unused.yaml", api_token=api_token)
    clock = FakeClock()
    wakeups = FakeWakeUps(clock)
    notifiers = {c: RecordingNotifier() for c in Channel}
    config = parse_config(CONFIG + extra_config, "test.yaml", {})
    runtime = bootstrap(settings, config=config, clock=clock, wakeups=wakeups, notifiers=notifiers)
    wakeups.engine = runtime.pager.engine
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        yield Harness(client, runtime, clock, wakeups, notifiers)
    runtime.intake.stop()  # its workers start with the first alert; the runtime is not started here
    runtime.engine.dispose()


@pytest.fixture
def harness(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    yield from make_harness(database_url, tmp_path)


@pytest.fixture
def sqlite_harness(sqlite_url: str, tmp_path: Path) -> Iterator[Harness]:
    yield from make_harness(sqlite_url, tmp_path)
