"""Provider outages against the real senders, relay and database: each channel waits out its own outage.

Twilio, an SMTP server and Slack are real local fake servers; one of them errors, rate-limits or hangs
for a while, then recovers. Meanwhile the other channels deliver; afterwards every page has been
delivered exactly once. Timeouts are shortened so a hang costs a fraction of a second.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from adapters.clock import SystemClock
from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
from adapters.db.slack_store import SqlSlackStore
from adapters.outbox_relay import ThreadedOutboxRelay
from adapters.slack_api import SlackWebApi
from adapters.slack_chat import SlackChatNotifier
from adapters.smtp_email import SmtpEmailSender
from adapters.twilio_sms import TwilioSmsSender
from bot.config import parse_config
from domain import events
from domain.alerts import Alert
from domain.delivery_ports import Notifier
from domain.dispatch import Dispatcher, DispatchPolicy
from domain.model import Channel, IncidentId
from domain.pager import Pager
from domain.ports import UnitOfWork
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Answer, FakeTwilio, running_fake_twilio
from tests.fakes import FakeClock, FakeWakeUps
from tests.slack_fake import FakeSlack, running_fake_slack

pytestmark = pytest.mark.slow

CONFIG = """
people:
  alice: {name: Alice, sms: "+33612345678", email: alice@example.com}
  dave: {name: Dave, sms: "+33612345679", email: dave@example.com, fallback: [email]}
escalation_policies:
  ops:
    ack_timeout: 1h
    levels: [{targets: [person:alice, "slack:#ops"]}]
  fallback:
    ack_timeout: 1h
    levels: [{targets: [person:dave, "slack:#ops"]}]
services:
  api: {name: API, escalation_policy: ops, integration_keys: [k1]}
  db: {name: Database, escalation_policy: ops, integration_keys: [k2]}
  web: {name: Web, escalation_policy: ops, integration_keys: [k3]}
  batch: {name: Batch, escalation_policy: fallback, integration_keys: [k4]}
"""
TIMEOUT = (
    1.0  # every sender's per-request timeout here: long enough for a loaded machine, shorter than a hang
)
HANG = 1.5
ALICE = {Channel.SMS: "+33612345678", Channel.EMAIL: "alice@example.com", Channel.SLACK: "#ops"}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Rig:
    engine: Engine
    pager: Pager
    notifiers: dict[Channel, Notifier]  # the dispatcher's own: a test may swap a sender
    twilio: FakeTwilio
    smtp: FakeSmtp
    slack: FakeSlack

    def alert(self, service: str) -> IncidentId:
        outcome = self.pager.on_alert(service, Alert(f"{service} down"))
        assert outcome.incident_id is not None
        return outcome.incident_id

    def delivered(self, channel: Channel) -> list[tuple[str, frozenset[int]]]:
        """Each message the provider accepted: (address, incidents it pages for)."""
        if channel is Channel.SMS:
            return [(m["To"], _ids(m["Body"])) for m in self.twilio.messages]
        if channel is Channel.EMAIL:
            return [(str(m["To"]), _ids(str(m["Subject"]))) for m in self.smtp.mails]
        cards = self.slack.calls("chat.postMessage")
        return [(c["channel"], _ids(json.dumps(c["blocks"]), r'"value": "(\d+)"')) for c in cards]

    def pages_to(self, channel: Channel, address: str) -> Counter[int]:
        """How many messages to `address` paged for each incident."""
        return Counter(i for to, ids in self.delivered(channel) if to == address for i in ids)

    def timeline(self, incident_id: IncidentId) -> list[events.Event]:
        with SqlAlchemyUnitOfWork(self.engine) as uow:
            return uow.timeline.of(incident_id)


def _ids(text: str, pattern: str = r"#(\d+)") -> frozenset[int]:
    return frozenset(int(found) for found in re.findall(pattern, text))


def _notifiers(
    engine: Engine, rig_servers: tuple[FakeTwilio, FakeSmtp, FakeSlack]
) -> dict[Channel, Notifier]:
    twilio, smtp, slack = rig_servers

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(engine)

    client = WebClient(token=slack.token, base_url=slack.api_url, timeout=TIMEOUT, retry_handlers=[])
    # max_wait=0: every Retry-After goes back to the relay, which must honour it.
    api = SlackWebApi(client, pace=0, max_wait=0)
    return {
        Channel.SMS: TwilioSmsSender(
            ACCOUNT_SID, AUTH_TOKEN, from_number="+15005550006", api_url=twilio.url,
            attempts=2, backoff=0.01, timeout=TIMEOUT,
        ),
        Channel.EMAIL: SmtpEmailSender(
            smtp.host, smtp.port, sender="pager@example.com", attempts=2, backoff=0.01, timeout=TIMEOUT
        ),
        Channel.SLACK: SlackChatNotifier(api, SqlSlackStore(engine), SystemClock(), uow),
    }  # fmt: skip


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """SQLite only: the outbox's PostgreSQL behaviour has its contract and crash tests."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def rig(engine: Engine) -> Iterator[Rig]:
    with running_fake_twilio() as twilio, running_fake_smtp() as smtp:
        for slack in running_fake_slack():
            catalog = parse_config(CONFIG, "faults.yaml", {}).catalog
            clock = SystemClock()

            def uow() -> UnitOfWork:
                return SqlAlchemyUnitOfWork(engine)

            notifiers = _notifiers(engine, (twilio, smtp, slack))
            policy = DispatchPolicy(
                bundle_window=timedelta(seconds=0.2),
                first_retry=timedelta(seconds=0.2),
                max_retry=timedelta(seconds=0.5),
            )
            dispatcher = Dispatcher(catalog, uow, notifiers, clock, policy)
            relay = ThreadedOutboxRelay(dispatcher, clock, channels=notifiers, poll_interval=0.2)
            pager = Pager(catalog, uow, clock, FakeWakeUps(FakeClock()), relay)
            relay.start()
            try:
                yield Rig(engine, pager, notifiers, twilio, smtp, slack)
            finally:
                relay.stop()


# Each outage: how to start it, how many failed attempts the provider has seen, how to end it.
Outage = tuple[Callable[[Rig], None], Callable[[Rig], int], Callable[[Rig], None]]


def twilio_outage(answer: Answer) -> Outage:
    return (
        lambda rig: rig.twilio.start_outage(answer),
        lambda rig: rig.twilio.attempts - len(rig.twilio.messages),
        lambda rig: rig.twilio.end_outage(),
    )


def smtp_outage(reply: str | None = None, stall: float = 0.0) -> Outage:
    def start(rig: Rig) -> None:
        rig.smtp.outage, rig.smtp.stall = reply, stall

    def end(rig: Rig) -> None:
        rig.smtp.outage, rig.smtp.stall = None, 0.0

    return start, lambda rig: rig.smtp.attempts - len(rig.smtp.mails), end


def slack_outage(status: int, retry_after: int | None = None, delay: float = 0.0) -> Outage:
    return (
        lambda rig: rig.slack.start_outage("chat.postMessage", status, retry_after, delay=delay),
        lambda rig: len(rig.slack.failed),
        lambda rig: rig.slack.end_outage("chat.postMessage"),
    )


OUTAGES = {
    "twilio-500": (Channel.SMS, twilio_outage(Answer(500, code=20500))),
    "twilio-429": (Channel.SMS, twilio_outage(Answer(429, code=20429))),
    "twilio-hang": (Channel.SMS, twilio_outage(Answer(503, delay=HANG))),
    "smtp-451": (Channel.EMAIL, smtp_outage("451 4.3.0 local error, try again later")),
    "smtp-421-rate-limited": (Channel.EMAIL, smtp_outage("421 4.7.28 rate limited, try again later")),
    "smtp-hang": (Channel.EMAIL, smtp_outage(stall=HANG)),
    "slack-500": (Channel.SLACK, slack_outage(500)),
    "slack-429": (Channel.SLACK, slack_outage(429, retry_after=1)),
    "slack-hang": (Channel.SLACK, slack_outage(500, delay=HANG)),
}


@pytest.mark.parametrize("name", OUTAGES)
def test_an_outage_delays_only_its_channel_and_every_page_arrives_once_after_it(rig: Rig, name: str) -> None:
    down, (start, failed_attempts, end) = OUTAGES[name]
    others = [c for c in ALICE if c is not down]
    start(rig)

    incidents = {rig.alert(service) for service in ("api", "db", "web")}

    for channel in others:
        wait_for(lambda c=channel: set(rig.pages_to(c, ALICE[c])) == incidents, f"{channel} pages")
    wait_for(lambda: failed_attempts(rig) >= 2, f"{down} to be tried and retried")
    assert rig.delivered(down) == []
    end(rig)
    wait_for(lambda: set(rig.pages_to(down, ALICE[down])) == incidents, f"{down} pages after recovery")
    time.sleep(0.7)  # longer than the relay's longest backoff here: room for a duplicate to show

    for channel in ALICE:
        assert rig.pages_to(channel, ALICE[channel]) == Counter(dict.fromkeys(incidents, 1)), channel
    for incident_id in incidents:
        sent = [e.channel for e in rig.timeline(incident_id) if isinstance(e, events.NotificationSent)]
        assert sorted(sent) == sorted(str(c) for c in ALICE)


def test_pages_on_other_channels_leave_while_twilio_holds_a_request(rig: Rig) -> None:
    rig.notifiers[Channel.SMS] = TwilioSmsSender(
        ACCOUNT_SID, AUTH_TOKEN, from_number="+15005550006", api_url=rig.twilio.url, attempts=1, timeout=30
    )
    rig.twilio.start_outage(Answer(503, delay=20))
    rig.alert("api")
    wait_for(lambda: rig.twilio.stalled == 1, "Twilio to hold the first SMS")

    second = rig.alert("db")

    wait_for(lambda: rig.pages_to(Channel.EMAIL, ALICE[Channel.EMAIL])[second] == 1, "the second email")
    wait_for(lambda: rig.pages_to(Channel.SLACK, "#ops")[second] == 1, "the second card")
    # the first SMS still held (the second, to the same number, may be held beside it: other senders)
    assert rig.twilio.stalled >= 1, "the SMS request ended before the other channels were served"
    rig.twilio.end_outage()


def test_slack_is_asked_again_no_sooner_than_its_retry_after(rig: Rig) -> None:
    rig.slack.start_outage("chat.postMessage", 429, retry_after=1)
    rig.alert("api")
    wait_for(lambda: len(rig.slack.failed_at) >= 3, "three rate-limited attempts")
    rig.slack.end_outage("chat.postMessage")

    times = rig.slack.failed_at[:3]
    assert min(later - earlier for earlier, later in itertools.pairwise(times)) >= 0.95


def test_an_sms_refused_for_good_is_on_the_timeline_and_falls_through_to_email(rig: Rig) -> None:
    rig.twilio.answer_next(Answer(400, code=21211))

    incident_id = rig.alert("batch")

    wait_for(lambda: rig.pages_to(Channel.EMAIL, "dave@example.com") == {incident_id: 1}, "the email")
    timeline = rig.timeline(incident_id)
    failed = [e for e in timeline if isinstance(e, events.NotificationFailed)]
    fell = [e for e in timeline if isinstance(e, events.FellThrough)]
    assert [(e.channel, e.permanent) for e in failed] == [("sms", True)]
    assert [(e.from_channel, e.to_channel, e.to_address) for e in fell] == [
        ("sms", "email", "dave@example.com")
    ]


def test_a_level_every_provider_refused_is_recorded_unreached_once(rig: Rig) -> None:
    rig.twilio.answer_next(Answer(400, code=21211))
    rig.smtp.refuse_next.append("550 5.1.1 no such user")
    rig.slack.fail_next("chat.postMessage", 200, error="channel_not_found")

    incident_id = rig.alert("batch")

    def unreached() -> list[events.Event]:
        return [e for e in rig.timeline(incident_id) if isinstance(e, events.LevelUnreached)]

    wait_for(lambda: len(unreached()) == 1, "the level to be recorded unreached")
    time.sleep(0.5)
    assert [(e.level, e.round) for e in unreached() if isinstance(e, events.LevelUnreached)] == [(1, 0)]
