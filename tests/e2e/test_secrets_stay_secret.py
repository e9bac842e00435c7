"""Secrets never reach the logs or an answer: refused and accepted requests, and pages over every provider."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from adapters.db import SqlAlchemyUnitOfWork, make_engine
from adapters.outbox_relay import ThreadedOutboxRelay
from bot.bootstrap import Runtime, bootstrap
from bot.http import create_app
from bot.logs import configure_logging, reset_logging
from bot.settings import Settings
from domain.dispatch import Dispatcher
from domain.model import Catalog
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fake_twilio import ACCOUNT_SID, Answer, FakeTwilio, running_fake_twilio
from tests.fakes import FakeClock, FakeWakeUps
from tests.slack_fake import FakeSlack, sign

SECRETS = {
    "PAYMENTS_KEY": "payments-key-S3CRET-a1",
    "GRAFANA_SECRET": "grafana-hmac-S3CRET-b2",
    "PAGER_API_TOKEN": "api-token-S3CRET-c3",
    "SLACK_BOT_TOKEN": "xoxb-S3CRET-d4",
    "SLACK_SIGNING_SECRET": "slack-signing-S3CRET-e5",
    "TWILIO_AUTH_TOKEN": "twilio-token-S3CRET-f6",
    "SMTP_PASSWORD": "smtp-password-S3CRET-g7",
}
DB_PASSWORD = "db-password-S3CRET-h8"
PUBLIC_URL = "https://pager.example.com"
# The test's own HTTP client and the fake SMTP server log in this process too.
NOT_THE_PAGER = ("httpx2", "mail.log")
ALICE_SMS = "+33612345678"

CONFIG = """
people:
  alice: {name: Alice, sms: "+33612345678", email: alice@example.com, slack: U0ALICE}
  bob: {name: Bob, sms: "+33612345670", email: bob@example.com}
escalation_policies:
  default:
    ack_timeout: 5m
    levels: [{targets: [person:alice, "slack:#ops"]}, {targets: [person:bob]}]
services:
  payments:
    escalation_policy: default
    integration_keys: ["${PAYMENTS_KEY}"]
    grafana_secret: "${GRAFANA_SECRET}"
"""


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    clock: FakeClock
    wakeups: FakeWakeUps
    twilio: FakeTwilio
    smtp: FakeSmtp
    slack: FakeSlack
    answers: list[httpx2.Response] = field(default_factory=list)

    def post(self, path: str, **kwargs: object) -> httpx2.Response:
        answer = self.client.post(path, **kwargs)  # type: ignore[arg-type]
        self.answers.append(answer)
        return answer

    def get(self, path: str, **kwargs: object) -> httpx2.Response:
        answer = self.client.get(path, **kwargs)  # type: ignore[arg-type]
        self.answers.append(answer)
        return answer

    def deliver(self) -> None:
        self.clock.advance(self.runtime.dispatcher.policy.bundle_window)
        self.runtime.dispatcher.dispatch_due()
        assert self.runtime.slack is not None
        self.runtime.slack.updater.drain()


@pytest.fixture
def world(postgres_url: str, tmp_path: Path, logs: Logs) -> Iterator[World]:
    """The app built from the environment, as `pager serve` builds it, logging JSON into `logs`."""
    database_url = make_url(postgres_url).set(password=DB_PASSWORD)  # trust auth takes any password
    config = tmp_path / "pager.yaml"
    config.write_text(CONFIG)
    with ExitStack() as stack:
        twilio = stack.enter_context(running_fake_twilio(auth_token=SECRETS["TWILIO_AUTH_TOKEN"]))
        smtp = stack.enter_context(running_fake_smtp(login=("pager", SECRETS["SMTP_PASSWORD"]), tls=True))
        slack = FakeSlack(token=SECRETS["SLACK_BOT_TOKEN"]).start()
        stack.callback(slack.stop)
        env = {
            **SECRETS,
            "PAGER_DATABASE_URL": database_url.render_as_string(hide_password=False),
            "PAGER_CONFIG": str(config),
            "PAGER_LOG_FORMAT": "json",
            "PAGER_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_FROM": "+15005550006",
            "TWILIO_API_URL": twilio.url,
            "SMTP_HOST": smtp.host,
            "SMTP_PORT": str(smtp.port),
            "SMTP_USERNAME": "pager",
            "SMTP_FROM": "pager@example.com",
            "SLACK_API_URL": slack.api_url,
        }
        patch = stack.enter_context(pytest.MonkeyPatch.context())
        # The login goes over STARTTLS, verified against the fake's CA: OpenSSL reads SSL_CERT_FILE from
        # the process environment, which the os.environ stand-in below does not reach.
        patch.setenv("SSL_CERT_FILE", str(smtp.ca_file))
        patch.setattr("os.environ", env)
        settings = Settings.from_env()
        with contextlib.redirect_stdout(logs.stdout):  # where `pager serve` logs: stdout, as it is now
            configure_logging(settings.log_format)
        stack.callback(reset_logging)
        clock = FakeClock()
        wakeups = FakeWakeUps(clock)
        runtime = bootstrap(settings, clock=clock, wakeups=wakeups)
        wakeups.engine = runtime.pager.engine
        assert runtime.slack is not None
        runtime.slack.api.pace = 0
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            yield World(client, runtime, clock, wakeups, twilio, smtp, slack)
        runtime.engine.dispose()


class Logs:
    """Everything logged so far: the JSON lines structlog prints, and the standard library's records."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.stdout = io.StringIO()
        self._caplog = caplog

    def read(self) -> list[str]:
        records = [
            f"{r.name} {r.getMessage()} {r.exc_text or ''}"
            for r in self._caplog.records
            if not r.name.startswith(NOT_THE_PAGER)
        ]
        # Standard library records are printed too (bot/logs.py), the test's own included: not the pager's.
        printed = [
            line
            for line in self.stdout.getvalue().splitlines()
            if not json.loads(line).get("logger", "").startswith(NOT_THE_PAGER)
        ]
        return [*printed, *records]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Logs:
    caplog.set_level(logging.INFO)
    return Logs(caplog)


def leaked(texts: list[str]) -> list[str]:
    everything = "\n".join(texts)
    return [name for name, secret in {**SECRETS, "DB_PASSWORD": DB_PASSWORD}.items() if secret in everything]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def grafana_signature(secret: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(secret.encode(), ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Grafana-Alerting-Signature": digest, "X-Grafana-Alerting-Timestamp": ts}


def twilio_signature(token: str, path: str, fields: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC_URL + path, fields)}


def refused_and_accepted_requests(w: World) -> None:
    key, api = SECRETS["PAYMENTS_KEY"], SECRETS["PAGER_API_TOKEN"]
    assert w.post("/webhooks/generic", json={"summary": "x"}, headers=bearer(key + "x")).status_code == 401
    assert w.post(f"/webhooks/generic?key={key[:-1]}", json={"summary": "x"}).status_code == 401
    assert w.post("/webhooks/generic", json={"summary": 5}, headers=bearer(key)).status_code == 422
    assert w.post("/webhooks/generic", json={"summary": "DB down"}, headers=bearer(key)).status_code == 202
    notification = {"title": "t", "alerts": [{"status": "firing", "labels": {}, "fingerprint": "g1"}]}
    body = json.dumps(notification).encode()
    for secret, status in ((SECRETS["GRAFANA_SECRET"][::-1], 401), (SECRETS["GRAFANA_SECRET"], 202)):
        headers = {"Content-Type": "application/json", **grafana_signature(secret, body)}
        assert w.post(f"/webhooks/grafana?key={key}", content=body, headers=headers).status_code == status
    event = {"routing_key": key + "x", "event_action": "resolve", "dedup_key": "g1"}
    assert w.post("/v2/enqueue", json=event).status_code == 401
    assert w.get("/api/incidents", headers=bearer(api + "x")).status_code == 401
    assert w.get("/api/incidents", headers=bearer(api)).status_code == 200
    challenge = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    for secret, status in (
        (SECRETS["SLACK_SIGNING_SECRET"] + "x", 401),
        (SECRETS["SLACK_SIGNING_SECRET"], 200),
    ):
        headers = {"Content-Type": "application/json", **sign(secret, challenge)}
        assert w.post("/slack/events", content=challenge, headers=headers).status_code == status
    reply = {"MessageSid": "SM1", "From": ALICE_SMS, "Body": "help"}
    for token, status in ((SECRETS["TWILIO_AUTH_TOKEN"] + "x", 403), (SECRETS["TWILIO_AUTH_TOKEN"], 200)):
        headers = twilio_signature(token, "/twilio/sms", reply)
        assert w.post("/twilio/sms", data=reply, headers=headers).status_code == status


@pytest.mark.postgres
def test_no_secret_in_the_answers_or_logs_of_refused_and_accepted_requests(world: World, logs: Logs) -> None:
    refused_and_accepted_requests(world)

    assert leaked([a.text for a in world.answers]) == []
    assert leaked([json.dumps(dict(a.headers)) for a in world.answers]) == []
    assert logs.read() and leaked(logs.read()) == []


@pytest.mark.postgres
def test_no_secret_in_the_logs_of_pages_sent_and_failing_over_every_provider(
    world: World, logs: Logs
) -> None:
    world.twilio.answer_next(Answer(401, code=20003))  # as Twilio answers a wrong auth token
    world.slack.fail_next("chat.postMessage", 500)
    world.post("/webhooks/generic", json={"summary": "DB down"}, headers=bearer(SECRETS["PAYMENTS_KEY"]))

    world.deliver()  # the SMS and Slack pages fail; the email, sent with a login, does not
    world.clock.advance(world.runtime.dispatcher.policy.max_retry)
    world.deliver()  # Slack's page is retried and sent

    assert len(world.smtp.mails) == 1 and world.slack.calls("chat.postMessage")
    assert logs.read() and leaked(logs.read()) == []
    assert leaked([repr(world.runtime), repr(world.runtime.engine)]) == []  # settings, config, engine


def test_an_unreachable_database_is_logged_without_its_password(logs: Logs) -> None:
    url = f"postgresql://pager:{DB_PASSWORD}@127.0.0.1:1/pager"  # nothing listens on port 1
    with contextlib.redirect_stdout(logs.stdout):
        configure_logging("json")
    engine = make_engine(url)
    clock = FakeClock()
    dispatcher = Dispatcher(Catalog(), lambda: SqlAlchemyUnitOfWork(engine), {}, clock)
    relay = ThreadedOutboxRelay(dispatcher, clock, poll_interval=0.05)
    try:
        relay.start()
        deadline = time.monotonic() + 20
        while "outbox relay pass failed" not in logs.stdout.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        relay.stop()
        engine.dispose()
        reset_logging()

    assert "OperationalError" in logs.stdout.getvalue()
    assert leaked(logs.read()) == []


@pytest.mark.postgres
def test_every_secret_is_checked_with_a_constant_time_comparison(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[bytes] = []
    constant_time = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.extend([a, b])
        return constant_time(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    body = b'{"title": "t", "alerts": []}'
    presented = {
        "integration key": lambda v: world.post("/webhooks/generic", json={}, headers=bearer(v)),
        "routing key": lambda v: world.post(
            "/v2/enqueue", json={"routing_key": v, "event_action": "resolve"}
        ),
        "API token": lambda v: world.get("/api/incidents", headers=bearer(v)),
        "Grafana signature": lambda v: world.post(
            f"/webhooks/grafana?key={SECRETS['PAYMENTS_KEY']}",
            content=body,
            headers={"X-Grafana-Alerting-Signature": v, "Content-Type": "application/json"},
        ),
        "Slack signature": lambda v: world.post(
            "/slack/events", content=body, headers={**sign("wrong", body), "X-Slack-Signature": v}
        ),
        "Twilio signature": lambda v: world.post(
            "/twilio/sms", data={"MessageSid": "SM2", "From": ALICE_SMS}, headers={"X-Twilio-Signature": v}
        ),
    }
    not_compared_in_constant_time = []
    for what, send in presented.items():
        value = f"v0=presented-{what.replace(' ', '-').lower()}"
        assert send(value).status_code in (401, 403), what
        if value.encode() not in compared:
            not_compared_in_constant_time.append(what)

    assert not_compared_in_constant_time == []
