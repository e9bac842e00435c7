"""`pager serve` behind a firewall: Slack in Socket Mode with no public URL and no signing secret. Pages go
out over the Web API; the acknowledgement comes back over the socket the process opened itself."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from adapters.slack_card_blocks import Action
from tests.e2e.processes import Server, wait_for
from tests.e2e.slack_harness import ALICE_SLACK, BOT_TOKEN, CHANNEL_ID, CONFIG, PAYMENTS_KEY
from tests.slack_socket_fake import APP_TOKEN, FakeSlackWithSocketMode, block_actions, running_socket_slack

pytestmark = pytest.mark.slow

API_TOKEN = "socket-mode-api-token"


@pytest.fixture
def slack() -> Iterator[FakeSlackWithSocketMode]:
    with running_socket_slack() as fake:
        yield fake


@pytest.fixture
def server(tmp_path: Path, slack: FakeSlackWithSocketMode) -> Iterator[Server]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "SLACK_SIGNING_SECRET": "",  # none: Socket Mode needs none
        "PAGER_API_TOKEN": API_TOKEN,
    }
    running = Server(tmp_path, env, CONFIG)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def channel_cards(slack: FakeSlackWithSocketMode) -> list[dict[str, object]]:
    return [
        c
        for c in slack.calls("chat.postMessage")
        if c["channel"] == "#payments-oncall" and "thread_ts" not in c
    ]


def incident_state(server: Server) -> str:
    answer = httpx2.get(f"{server.url}/api/incidents/1", headers={"Authorization": f"Bearer {API_TOKEN}"})
    return str(answer.json()["state"])


def test_an_alert_pages_the_channel_and_a_click_over_the_socket_acknowledges_it(
    server: Server, slack: FakeSlackWithSocketMode
) -> None:
    slack.sockets.wait_for_connections(1, timeout=30)
    httpx2.post(
        f"{server.url}/webhooks/generic",
        json={"summary": "DB down"},
        headers={"Authorization": f"Bearer {PAYMENTS_KEY}"},
    )
    wait_for(lambda: len(channel_cards(slack)) == 1, 30, "the card in #payments-oncall")

    click = block_actions(Action.ACKNOWLEDGE, "1", ALICE_SLACK, CHANNEL_ID, slack.response_url("serve"))
    envelope = slack.sockets.wait_acked(slack.sockets.send("interactive", click))

    wait_for(lambda: incident_state(server) == "acknowledged", 30, "the incident to be acknowledged")
    wait_for(lambda: len(slack.calls("chat.update")) >= 1, 30, "the cards to be updated")
    assert envelope.acked_in_time
    assert any("Acknowledged by Alice" in json.dumps(u["blocks"]) for u in slack.calls("chat.update"))


def test_the_process_reports_its_socket_and_takes_nothing_over_http(
    server: Server, slack: FakeSlackWithSocketMode
) -> None:
    slack.sockets.wait_for_connections(1, timeout=30)
    wait_for(
        lambda: server.readiness()[1].get("slack_socket") == "connected", 30, "/readyz to see the socket"
    )

    events = httpx2.post(f"{server.url}/slack/events", json={"type": "url_verification", "challenge": "c"})

    assert events.status_code == 404
    assert server.readiness()[0] == 200


def test_a_process_stopped_and_restarted_connects_again_and_never_logs_the_app_token(
    server: Server, slack: FakeSlackWithSocketMode
) -> None:
    slack.sockets.wait_for_connections(1, timeout=30)

    assert server.terminate() == -signal.SIGTERM  # uvicorn re-raises it once shut down cleanly
    server.start()

    slack.sockets.wait_for_connections(2, timeout=30)
    logs = "".join(path.read_text() for _, path in server.runs)
    assert APP_TOKEN not in logs
    assert "slack socket connected" in logs
    assert "did not close in time" not in logs
