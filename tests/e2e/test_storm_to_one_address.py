"""A storm of 40 services paging one Slack channel, one phone and one mailbox at once, on a real `pager serve`
with the strict fakes of Slack, Twilio and an SMTP server (STARTTLS and login): every incident reaches each
address, its buttons work, and nothing is refused or left to retry. Then a monitor's markup, emoji and newline
reach each provider as plain text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest

from adapters.slack_card_blocks import Action
from tests.e2e.processes import Server, wait_for
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, running_fake_twilio
from tests.slack_fake import FakeSlack, running_fake_slack, sign
from tests.twilio_segments import num_segments

pytestmark = pytest.mark.slow

SERVICES = [f"svc{i:02d}" for i in range(1, 41)]
PHONE, MAILBOX, CHANNEL, ALICE_SLACK = "+33612345678", "oncall@example.com", "#ops", "U0ALICE"
SIGNING_SECRET = "storm-signing-secret"
SMTP_LOGIN = ("pager", "smtp-password-for-the-storm")
TOKEN = "storm-api-token"
MARKUP = "<!channel> disk\n100% 🔥 & <https://x|y>"

CONFIG = f"""
people:
  alice: {{name: Alice, email: alice@example.com, slack: {ALICE_SLACK}}}
escalation_policies:
  everyone:
    ack_timeout: 1h
    levels:
      - targets: ["slack:{CHANNEL}", "sms:{PHONE}", "email:{MAILBOX}"]
services:
""" + "".join(f'  {s}: {{escalation_policy: everyone, integration_keys: ["key-{s}"]}}\n' for s in SERVICES)


@dataclass
class Providers:
    slack: FakeSlack
    twilio: FakeTwilio
    smtp: FakeSmtp

    def refusals(self) -> list[object]:
        return [*self.slack.refused, *self.slack.failed, *self.twilio.refused, *self.smtp.refused]


@pytest.fixture
def providers() -> Iterator[Providers]:
    with running_fake_twilio() as twilio, running_fake_smtp(login=SMTP_LOGIN, tls=True) as smtp:
        for slack in running_fake_slack():
            yield Providers(slack, twilio, smtp)


@pytest.fixture
def server(tmp_path: Path, database_url: str, providers: Providers) -> Iterator[Server]:
    env = {
        "PAGER_DATABASE_URL": database_url,
        "PAGER_API_TOKEN": TOKEN,
        "PAGER_BUNDLE_WINDOW": "3s",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": "+15005550006",
        "TWILIO_API_URL": providers.twilio.url,
        "SMTP_HOST": providers.smtp.host,
        "SMTP_PORT": str(providers.smtp.port),
        "SMTP_FROM": "pager@example.com",
        "SMTP_USERNAME": SMTP_LOGIN[0],
        "SMTP_PASSWORD": SMTP_LOGIN[1],
        "SSL_CERT_FILE": str(providers.smtp.ca_file),  # the server's certificate is checked
        "SLACK_BOT_TOKEN": providers.slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": providers.slack.api_url,
    }
    s = Server(tmp_path, env, CONFIG)
    s.start()
    yield s
    s.stop()


def alert(server: Server, service: str, summary: str) -> int:
    answer = httpx2.post(
        f"{server.url}/webhooks/generic",
        json={"summary": summary},
        headers={"Authorization": f"Bearer key-{service}"},
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    return int(answer.json()["incident_id"])


def storm(server: Server) -> set[int]:
    """Every service alerts at once, well within one bundling window."""
    with ThreadPoolExecutor(8) as pool:
        return set(pool.map(lambda s: alert(server, s, f"{s} is down"), SERVICES))


def card_buttons(slack: FakeSlack) -> dict[int, set[str]]:
    """For each incident, the buttons it has on the cards posted to the channel."""
    found: dict[int, set[str]] = {}
    for post in slack.calls("chat.postMessage"):
        for block in post["blocks"] if post["channel"] == CHANNEL else []:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                found.setdefault(int(element["value"]), set()).add(element["action_id"])
    return found


def sms_incidents(twilio: FakeTwilio) -> set[int]:
    return {int(i) for m in twilio.messages if m["To"] == PHONE for i in re.findall(r"#(\d+)", m["Body"])}


def mail_incidents(smtp: FakeSmtp) -> set[int]:
    bodies = [m.get_content() for m in smtp.mails if m["To"] == MAILBOX]
    return {int(i) for body in bodies for i in re.findall(r"^#(\d+) ", body, re.MULTILINE)}


def api(server: Server, path: str) -> Any:
    answer = httpx2.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    answer.raise_for_status()
    return answer.json()


def click(server: Server, slack: FakeSlack, action: str, incident_id: int) -> httpx2.Response:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "api_app_id": "A1",
        "user": {"id": ALICE_SLACK},
        "channel": {"id": "COPS"},
        "container": {"type": "message", "channel_id": "COPS", "message_ts": "1700000000.000001"},
        "response_url": slack.response_url("storm"),
        "trigger_id": f"trigger.{incident_id}",
        "actions": [{"type": "button", "action_id": action, "value": str(incident_id), "block_id": "b"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {**sign(SIGNING_SECRET, body), "Content-Type": "application/x-www-form-urlencoded"}
    return httpx2.post(f"{server.url}/slack/events", content=body, headers=headers, timeout=10)


def test_forty_services_paging_one_channel_phone_and_mailbox_reach_each_with_every_incident(
    server: Server, providers: Providers
) -> None:
    incidents = storm(server)

    wait_for(lambda: set(card_buttons(providers.slack)) >= incidents, 60, "every incident on a Slack card")
    wait_for(lambda: sms_incidents(providers.twilio) >= incidents, 30, "every incident in an SMS")
    wait_for(lambda: mail_incidents(providers.smtp) >= incidents, 30, "every incident in a mail")

    buttons = card_buttons(providers.slack)
    assert all(buttons[i] == {Action.ACKNOWLEDGE, Action.RESOLVE} for i in incidents)
    assert len(providers.slack.calls("chat.postMessage")) > 1  # more than one card could hold
    assert all(len(m["Body"]) <= 1600 for m in providers.twilio.messages)
    assert all("\n" not in str(m["Subject"]) for m in providers.smtp.mails)
    assert providers.refusals() == []


def test_after_a_storm_nothing_is_left_to_retry_and_the_last_cards_buttons_work(
    server: Server, providers: Providers
) -> None:
    incidents = storm(server)
    wait_for(lambda: set(card_buttons(providers.slack)) >= incidents, 60, "every incident on a Slack card")
    wait_for(lambda: mail_incidents(providers.smtp) >= incidents, 30, "every incident in a mail")

    last = max(incidents)
    assert click(server, providers.slack, Action.ACKNOWLEDGE, last).status_code == 200

    assert api(server, f"/api/incidents/{last}")["state"] == "acknowledged"
    metrics = httpx2.get(f"{server.url}/metrics", timeout=10).text
    assert re.search(r"^pager_outbox_backlog 0\.0$", metrics, re.MULTILINE)
    failures = re.findall(
        r'^pager_notifications_total\{.*outcome="(?:failed_\w+|fell_through)"\} (\S+)$', metrics, re.M
    )
    assert len(failures) == 12 and set(failures) == {"0.0"}  # three outcomes of four channels, all naught


def test_a_monitors_markup_emoji_and_newline_reach_every_provider_as_plain_text(
    server: Server, providers: Providers
) -> None:
    incident = alert(server, SERVICES[0], MARKUP)

    wait_for(lambda: providers.smtp.mails != [] and providers.twilio.messages != [], 30, "the SMS and mail")
    wait_for(lambda: providers.slack.calls("chat.postMessage") != [], 30, "the Slack card")

    [card] = providers.slack.calls("chat.postMessage")
    shown = json.dumps(card["blocks"], ensure_ascii=False) + card["text"]
    assert "&lt;!channel&gt; disk" in shown and "&amp; &lt;https://x|y&gt;" in shown
    assert "<!channel>" not in shown and "<https://" not in shown
    [sms] = providers.twilio.messages
    assert (providers.twilio.segments, num_segments(sms["Body"])) == ([1], 1)
    # On one line, and shortened to fit one segment as Twilio counts it (here short of the emoji, which
    # would have made the whole SMS UCS-2, 70 units).
    assert sms["Body"].startswith(f"PAGER #{incident} {SERVICES[0]}: <!channel> disk 100%")
    [mail] = providers.smtp.mails
    assert mail["Subject"] == f"[PAGER] #{incident} {SERVICES[0]}: <!channel> disk 100% 🔥 & <https://x|y>"
    assert MARKUP in mail.get_content()
    assert providers.refusals() == []
