"""The real app with every endpoint switched on, and the credentials a legitimate caller would add.

Fuzzing behind a 401 tests only the key check; here each request carries what its endpoint needs (API
token, integration key, Grafana HMAC, Slack and Twilio signatures) computed over the very bytes sent, so
the payload is what gets tested.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

import httpx2
from sqlalchemy import func, select, text
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from adapters.db import make_engine, tables
from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from bot.slack.http import SlackSignature
from bot.twilio_webhooks import parse_form
from domain.model import Channel, ServiceId
from tests.e2e.conftest import API_TOKEN
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier
from tests.slack_fake import running_fake_slack, sign

PAYMENTS_KEY = "payments-key-0123456789"
SEARCH_KEY = "search-key-0123456789"
GRAFANA_SECRET = "grafana-shared-secret-0123"
SLACK_SECRET = "slack-signing-secret-for-fuzzing"
TWILIO_TOKEN = "twilio-auth-token-for-fuzzing"
PUBLIC_URL = "https://pager.example.com"

CONFIG = f"""
people:
  alice: {{name: Alice, sms: "+33612345678", email: alice@example.com, slack: U0ALICE}}
  bob: {{name: Bob, email: bob@example.com}}
rotations:
  primary: {{members: [alice, bob], start: "2026-11-23T09:00:00+00:00", shift: 7d, timezone: UTC}}
escalation_policies:
  default:
    ack_timeout: 5m
    levels:
      - targets: [person:alice, "slack:#payments-oncall"]
      - targets: [rotation:primary]
services:
  payments: {{name: Payments API, escalation_policy: default, integration_keys: ["{PAYMENTS_KEY}"]}}
  search: {{name: Search, escalation_policy: default, integration_keys: ["{SEARCH_KEY}"]}}
heartbeats:
  backup: {{service: payments, interval: 1h}}
"""

# What a refused request must leave untouched.
STORED = {
    "incidents": tables.incidents,
    "alerts": tables.alerts,
    "outbox": tables.outbox,
    "maintenance_windows": tables.maintenance_windows,
    "suppressed_alerts": tables.suppressed_alerts,
}


@dataclass
class FuzzApp:
    client: TestClient
    runtime: Runtime
    clock: FakeClock

    def rows(self) -> dict[str, int]:
        """How many rows each table a request may write to holds."""
        with self.runtime.engine.connect() as conn:
            return {
                name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in STORED.items()
            }

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        content_type: str | None = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx2.Response:
        """One request as its legitimate caller would sign it; `headers` come first, credentials win."""
        query_string = urlencode(query or {}, doseq=True)
        sent = {**(headers or {}), **self.credentials(path, query_string, body or b"")}
        if content_type is not None:
            sent["Content-Type"] = content_type
        url = f"{path}?{query_string}" if query_string else path
        return self.client.request(method, url, content=body, headers=sent)

    def credentials(self, path: str, query_string: str, body: bytes) -> dict[str, str]:
        if path.startswith("/api/"):
            return {"Authorization": f"Bearer {API_TOKEN}"}
        if path == "/webhooks/grafana":
            return {"Authorization": f"Bearer {PAYMENTS_KEY}", **grafana_signature(body)}
        if path.startswith(("/webhooks/", "/heartbeats/")):
            return {"Authorization": f"Bearer {PAYMENTS_KEY}"}
        if path.startswith("/twilio/"):
            url = PUBLIC_URL + path + (f"?{query_string}" if query_string else "")
            fields = parse_form(body)
            return {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, fields)}
        if path == "/slack/events":
            # A verifier with no memory for each request: one body sent twice (as shrinking does) must
            # not be refused as a replay here; replays have their own tests.
            assert self.runtime.slack is not None
            self.runtime.slack.signature = SlackSignature(SLACK_SECRET)
            return sign(SLACK_SECRET, body)
        return {}


def grafana_signature(body: bytes, secret: str = GRAFANA_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Grafana-Alerting-Signature": digest, "X-Grafana-Alerting-Timestamp": timestamp}


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the test server for a whole module of tests, dropped after them."""
    name = f"pager_fuzz_{secrets.token_hex(6)}"
    server = make_engine(server_url)
    try:
        with server.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(f'CREATE DATABASE "{name}"'))
        yield server.url.set(database=name).render_as_string(hide_password=False)
        with server.connect() as conn:
            drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(drop))
    finally:
        server.dispose()


def running_fuzz_app(database_url: str, tmp_path: Path) -> Iterator[FuzzApp]:
    with ExitStack() as stack:
        slack = stack.enter_context(contextmanager(running_fake_slack)())
        settings = Settings(
            database_url=database_url,
            config_path=tmp_path / "unused.yaml",
            api_token=API_TOKEN,
            twilio_auth_token=TWILIO_TOKEN,
            public_url=PUBLIC_URL,
            slack_bot_token=slack.token,
            slack_signing_secret=SLACK_SECRET,
            slack_api_url=slack.api_url,
        )
        config = parse_config(CONFIG, "fuzz.yaml", {})
        config = replace(config, grafana_secrets={ServiceId("payments"): GRAFANA_SECRET})
        clock = FakeClock()
        wakeups = FakeWakeUps(clock)
        notifiers = {channel: RecordingNotifier() for channel in Channel}
        runtime = bootstrap(settings, config=config, clock=clock, wakeups=wakeups, notifiers=notifiers)
        wakeups.engine = runtime.pager.engine
        client = stack.enter_context(TestClient(create_app(runtime, manage_runtime=False)))
        stack.callback(runtime.engine.dispose)
        yield FuzzApp(client, runtime, clock)
