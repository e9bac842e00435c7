"""The real app with Twilio voice and SMS (a fake Twilio REST API over HTTP) and SMTP email wired in, and
Twilio's side of a call played by the test: fetching the answer URL, pressing keys, reporting the status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from html import unescape
from pathlib import Path

from httpx2 import Response
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from adapters.smtp_email import SmtpEmailSender
from adapters.twilio_sms import TwilioSmsSender
from adapters.twilio_voice import TwilioVoiceCaller
from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from domain.delivery_ports import Notifier
from domain.model import Channel, PersonId
from domain.voice_calls import callee
from tests.e2e.conftest import API_TOKEN
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio
from tests.fakes import FakeClock, FakeWakeUps, RecordingNotifier

PUBLIC_URL = "https://pager.example.com"
FROM = "+15005550006"
ALICE = "+33612345678"
BOB = "+33612345670"
DAVE = "+33612345679"
KEYS = {
    "payments": "payments-key-0123456789",
    "search": "search-key-0123456789",
    "billing": "billing-k-0123456789",
}

CONFIG = f"""
people:
  alice: {{name: Alice, phone: "{ALICE}"}}
  bob: {{name: Bob, sms: "{BOB}"}}
  dave: {{name: Dave, voice: "{DAVE}", email: dave@example.com, fallback: [email]}}
escalation_policies:
  oncall:
    ack_timeout: 5m
    levels: [{{targets: [person:alice]}}, {{targets: [person:bob]}}]
  billing: {{levels: [{{targets: [person:dave]}}]}}
services:
  payments: {{name: Payments API, escalation_policy: oncall, integration_keys: ["{KEYS["payments"]}"]}}
  search: {{escalation_policy: oncall, integration_keys: ["{KEYS["search"]}"]}}
  billing: {{escalation_policy: billing, integration_keys: ["{KEYS["billing"]}"]}}
"""
_ACTION = re.compile(r'<Gather action="([^"]+)"')


@dataclass
class VoiceHarness:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    wakeups: FakeWakeUps
    twilio: FakeTwilio
    smtp: FakeSmtp

    def alert(self, service: str, summary: str = "DB down") -> Response:
        headers = {"Authorization": f"Bearer {KEYS[service]}"}
        return self.client.post("/webhooks/generic", json={"summary": summary}, headers=headers)

    def advance(self, delta: timedelta = timedelta(0)) -> None:
        self.clock.advance(delta)
        self.wakeups.fire_due()
        self.clock.advance(self.runtime.dispatcher.policy.bundle_window)
        self.runtime.dispatcher.dispatch_due()

    def api(self, path: str) -> dict[str, object]:
        answer = self.client.get(path, headers={"Authorization": f"Bearer {API_TOKEN}"})
        return dict(answer.json())

    def incident_state(self, incident: int) -> str:
        return str(self.api(f"/api/incidents/{incident}")["state"])

    def timeline_kinds(self, incident: int) -> list[str]:
        timeline = self.api(f"/api/incidents/{incident}")["timeline"]
        assert isinstance(timeline, list)
        return [str(entry["kind"]) for entry in timeline]

    def call_sid(self, index: int = 0) -> str:
        return f"CA{index + 1:032x}"

    def answer(self, index: int = 0, answered_by: str = "human") -> Response:
        """Twilio fetching the answer URL of the `index`th call placed, once machine detection is done."""
        call = self.twilio.calls[index]
        fields = {"CallSid": self.call_sid(index), "To": call["To"], "AnsweredBy": answered_by}
        return self.twilio_post(call["Url"].removeprefix(PUBLIC_URL), fields)

    def press(self, twiml: str, digits: str, index: int = 0, call_sid: str | None = None) -> Response:
        """Twilio posting the key pressed (or none) to the <Gather> action of `twiml`."""
        action = unescape(gather_action(twiml)).removeprefix(PUBLIC_URL)
        to = self.twilio.calls[index]["To"]
        return self.twilio_post(
            action, {"CallSid": call_sid or self.call_sid(index), "To": to, "Digits": digits}
        )

    def status(self, status: str, index: int = 0) -> Response:
        call = self.twilio.calls[index]
        fields = {"CallSid": self.call_sid(index), "To": call["To"], "CallStatus": status}
        return self.twilio_post(call["StatusCallback"].removeprefix(PUBLIC_URL), fields)

    def twilio_post(self, path: str, fields: dict[str, str], signature: str | None = None) -> Response:
        signature = signature or RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, fields)
        return self.client.post(path, data=fields, headers={"X-Twilio-Signature": signature})


def gather_action(twiml: str) -> str:
    found = _ACTION.search(twiml)
    assert found is not None, twiml
    return found[1]


def make_voice_harness(database_url: str, tmp_path: Path) -> Iterator[VoiceHarness]:
    with ExitStack() as stack:
        twilio = stack.enter_context(running_fake_twilio())
        smtp = stack.enter_context(running_fake_smtp())
        settings = Settings(
            database_url=database_url, config_path=tmp_path / "unused.yaml", api_token=API_TOKEN,
            twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from=FROM,
            public_url=PUBLIC_URL,
        )  # fmt: skip
        config = parse_config(CONFIG, "voice.yaml", {})

        def person_called(phone: str) -> PersonId | None:
            person = callee(config.catalog, phone)
            return person.id if person else None

        notifiers: dict[Channel, Notifier] = {
            Channel.VOICE: TwilioVoiceCaller(
                ACCOUNT_SID, AUTH_TOKEN, from_number=FROM, callee=person_called,
                api_url=twilio.url, public_url=PUBLIC_URL, backoff=0.01,
            ),
            Channel.SMS: TwilioSmsSender(
                ACCOUNT_SID, AUTH_TOKEN, from_number=FROM, api_url=twilio.url, public_url=PUBLIC_URL,
                backoff=0.01,
            ),
            Channel.EMAIL: SmtpEmailSender(smtp.host, smtp.port, sender="pager@example.com", backoff=0.01),
            Channel.SLACK: RecordingNotifier(),
        }  # fmt: skip
        clock = FakeClock()
        wakeups = FakeWakeUps(clock)
        runtime = bootstrap(settings, config=config, clock=clock, wakeups=wakeups, notifiers=notifiers)
        wakeups.engine = runtime.pager.engine
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            yield VoiceHarness(client, runtime, clock, wakeups, twilio, smtp)
        runtime.engine.dispose()
