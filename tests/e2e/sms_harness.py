"""The real app with Twilio SMS (a fake Twilio REST API over HTTP) and SMTP email (aiosmtpd) wired in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from httpx2 import Response
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from adapters.smtp_email import SmtpEmailSender
from adapters.twilio_sms import TwilioSmsSender
from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from domain.delivery_ports import Notifier
from domain.model import Channel
from tests.e2e.conftest import API_TOKEN
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier

PUBLIC_URL = "https://pager.example.com"
ALICE = "+33612345678"
DAVE = "+33612345679"
STRANGER = "+33699999999"
KEYS = {
    "payments": "payments-key-0123456789",
    "search": "search-key-0123456789",
    "billing": "billing-k-0123456789",
}

CONFIG = f"""
people:
  alice: {{name: Alice, sms: "{ALICE}", email: alice@example.com}}
  bob: {{name: Bob, sms: "+33612345670"}}
  dave: {{name: Dave, sms: "{DAVE}", email: dave@example.com, fallback: [email]}}
rotations:
  primary: {{members: [alice, bob], start: "2026-11-30T09:00:00+01:00", shift: 1d, timezone: Europe/Paris}}
escalation_policies:
  oncall:
    ack_timeout: 5m
    levels: [{{targets: [rotation:primary]}}, {{targets: [person:bob]}}]
  billing: {{levels: [{{targets: [person:dave]}}]}}
services:
  payments: {{escalation_policy: oncall, integration_keys: ["{KEYS["payments"]}"]}}
  search: {{escalation_policy: oncall, integration_keys: ["{KEYS["search"]}"]}}
  billing: {{escalation_policy: billing, integration_keys: ["{KEYS["billing"]}"]}}
"""


@dataclass
class SmsHarness:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    wakeups: FakeWakeUps
    twilio: FakeTwilio
    smtp: FakeSmtp
    message_count: int = 0

    def alert(self, service: str, summary: str = "DB down") -> Response:
        headers = {"Authorization": f"Bearer {KEYS[service]}"}
        return self.client.post("/webhooks/generic", json={"summary": summary}, headers=headers)

    def advance(self, delta: timedelta = timedelta(0)) -> None:
        self.clock.advance(delta)
        self.wakeups.fire_due()
        self.clock.advance(self.runtime.dispatcher.policy.bundle_window)
        self.runtime.dispatcher.dispatch_due()

    def incident_state(self, incident: int) -> str:
        answer = self.client.get(
            f"/api/incidents/{incident}", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        return str(answer.json()["state"])

    def reply(self, phone: str, body: str, message_sid: str | None = None) -> Response:
        self.message_count += 1
        fields = {"MessageSid": message_sid or f"SM{self.message_count:032d}", "From": phone, "Body": body}
        return self.twilio_post("/twilio/sms", fields)

    def twilio_post(self, path: str, fields: dict[str, str], signature: str | None = None) -> Response:
        signature = signature or RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, fields)
        return self.client.post(path, data=fields, headers={"X-Twilio-Signature": signature})


def make_sms_harness(database_url: str, tmp_path: Path) -> Iterator[SmsHarness]:
    with ExitStack() as stack:
        twilio = stack.enter_context(running_fake_twilio())
        smtp = stack.enter_context(running_fake_smtp())
        settings = Settings(
            database_url=database_url,
            config_path=tmp_path / "unused.yaml",
            api_token=API_TOKEN,
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=AUTH_TOKEN,
            twilio_from="+15005550006",
            public_url=PUBLIC_URL,
        )
        notifiers: dict[Channel, Notifier] = {
            Channel.SMS: TwilioSmsSender(
                ACCOUNT_SID, AUTH_TOKEN, from_number="+15005550006",
                api_url=twilio.url, public_url=PUBLIC_URL, backoff=0.01,
            ),
            Channel.EMAIL: SmtpEmailSender(smtp.host, smtp.port, sender="pager@example.com", backoff=0.01),
            Channel.SLACK: RecordingNotifier(),
        }  # fmt: skip
        clock = FakeClock()
        wakeups = FakeWakeUps(clock)
        config = parse_config(CONFIG, "sms.yaml", {})
        runtime = bootstrap(settings, config=config, clock=clock, wakeups=wakeups, notifiers=notifiers)
        wakeups.engine = runtime.pager.engine
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            yield SmsHarness(client, runtime, clock, wakeups, twilio, smtp)
        runtime.engine.dispose()
