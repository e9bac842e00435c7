"""Slack in Socket Mode: clicks, /pager and the App Home over a real WebSocket, into the same listeners as
over HTTP; every envelope acknowledged in time; a lost connection opened again."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from adapters.slack_card_blocks import Action
from bot.http import create_app
from domain import events
from domain.model import IncidentId
from tests.e2e.slack_harness import ALICE_SLACK, CHANNEL_ID, PAYMENTS_KEY, STRANGER_SLACK
from tests.e2e.socket_harness import SocketHarness, make_socket_harness, socket_of, socket_runtime
from tests.slack_socket_fake import APP_TOKEN, FakeSlackWithSocketMode, block_actions, running_socket_slack


@pytest.fixture
def slack() -> Iterator[FakeSlackWithSocketMode]:
    with running_socket_slack() as fake:
        yield fake
    assert fake.sockets.late() == []  # every envelope of every test was acknowledged in time
    assert fake.sockets.stray_acks == []


@pytest.fixture
def h(sqlite_url: str, tmp_path: Path, slack: FakeSlackWithSocketMode) -> Iterator[SocketHarness]:
    yield from make_socket_harness(sqlite_url, tmp_path, slack)


@pytest.fixture
def paged(h: SocketHarness) -> SocketHarness:
    """Connected, and level 1 paged: a card in the channel and one in Alice's DMs."""
    h.sockets.wait_for_connections(1)
    h.alert("DB down")
    h.deliver()
    return h


def test_a_click_over_the_socket_acknowledges_the_incident(paged: SocketHarness) -> None:
    envelope = paged.click(Action.ACKNOWLEDGE, 1)

    paged.until(lambda: paged.state() == "acknowledged", "the incident to be acknowledged")
    assert envelope.acked_in_time
    assert paged.sockets.stray_acks == []


def test_an_envelope_is_acknowledged_before_its_slow_handling_ends(paged: SocketHarness) -> None:
    paged.slack.start_outage("views.publish", 200, delay=3.5)  # Slack stalls longer than its own deadline

    envelope = paged.event({"type": "app_home_opened", "user": ALICE_SLACK, "tab": "home"})

    assert envelope.acked_at is not None and envelope.acked_at - envelope.sent_at < 1.0
    paged.until(lambda: len(paged.slack.failed) == 1, "the App Home to be published (slowly)")


def test_pager_status_over_the_socket_answers_through_the_response_url(paged: SocketHarness) -> None:
    envelope = paged.command("status")

    paged.until(lambda: len(paged.slack.calls("response_url")) == 1, "the answer to /pager status")
    answer = paged.slack.calls("response_url")[0]
    assert envelope.acked_in_time
    assert answer["response_type"] == "ephemeral"
    assert "#1 DB down" in json.dumps(answer["blocks"])


def test_pager_ack_over_the_socket_acknowledges_and_says_so(paged: SocketHarness) -> None:
    paged.command("ack 1")

    paged.until(lambda: len(paged.slack.calls("response_url")) == 1, "the answer to /pager ack")
    assert paged.state() == "acknowledged"
    assert "acknowledged by Alice" in paged.slack.calls("response_url")[0]["text"]


def test_the_app_home_is_published_when_opened_over_the_socket(paged: SocketHarness) -> None:
    paged.event({"type": "app_home_opened", "user": ALICE_SLACK, "tab": "home"})

    paged.until(lambda: len(paged.slack.calls("views.publish")) == 1, "the App Home to be published")
    published = paged.slack.calls("views.publish")[0]
    assert published["user_id"] == ALICE_SLACK
    assert "DB down" in json.dumps(published["view"])


def test_a_click_by_an_unlinked_user_over_the_socket_is_refused_and_changes_nothing(
    paged: SocketHarness,
) -> None:
    paged.click(Action.RESOLVE, 1, user=STRANGER_SLACK)

    paged.until(lambda: len(paged.slack.calls("response_url")) == 1, "the refusal")
    answer = paged.slack.calls("response_url")[0]
    assert answer["response_type"] == "ephemeral"
    assert "not linked to a pager person" in answer["text"]
    assert paged.state() == "triggered"


def test_a_dropped_connection_is_opened_again_and_the_next_click_works(paged: SocketHarness) -> None:
    paged.sockets.drop()

    paged.sockets.wait_for_connections(2)
    paged.click(Action.ACKNOWLEDGE, 1)
    paged.until(lambda: paged.state() == "acknowledged", "the incident to be acknowledged")
    assert paged.slack.urls_opened == 2


def test_a_refresh_asked_by_slack_moves_to_a_new_connection(paged: SocketHarness) -> None:
    paged.sockets.disconnect("refresh_requested")

    paged.sockets.wait_for_connections(2)
    paged.until(lambda: paged.sockets.live == [1], "the old connection to be closed by the app")
    paged.click(Action.RESOLVE, 1)
    paged.until(lambda: paged.state() == "resolved", "the incident to be resolved")


def test_each_new_connection_counts_as_a_reconnect(paged: SocketHarness) -> None:
    paged.sockets.drop()
    paged.sockets.wait_for_connections(2)
    paged.sockets.disconnect("refresh_requested")
    paged.sockets.wait_for_connections(3)

    def reconnects() -> float | None:
        return paged.runtime.metrics.registry.get_sample_value("pager_slack_socket_reconnects_total")

    paged.until(lambda: reconnects() == 2, "two reconnects counted")


def test_slack_events_over_http_is_404_in_socket_mode(paged: SocketHarness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-1"}).encode()

    response = paged.client.post("/slack/events", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 404
    assert "Socket Mode" in response.json()["error"]


def lead(h: SocketHarness) -> None:
    """As the started runtime does: every other readiness check then passes."""
    assert h.runtime.leadership is not None
    h.runtime.leadership.start(lambda: None, lambda: None)


def test_readiness_reports_a_connected_socket(paged: SocketHarness) -> None:
    lead(paged)
    paged.until(lambda: paged.socket.connected, "the socket to connect")

    answer = paged.client.get("/readyz")

    assert (answer.status_code, answer.json()["slack_socket"]) == (200, "connected")


def test_a_refused_app_token_leaves_the_replica_ready_and_the_socket_reported_down(
    sqlite_url: str, tmp_path: Path, slack: FakeSlackWithSocketMode
) -> None:
    for h in make_socket_harness(sqlite_url, tmp_path, slack, app_token="xapp-1-revoked"):
        lead(h)
        h.until(lambda: len(slack.refused) >= 2, "apps.connections.open to be tried again")

        answer = h.client.get("/readyz")

        assert [r.error for r in slack.refused][:2] == ["invalid_auth", "invalid_auth"]
        assert (answer.status_code, answer.json()["status"]) == (200, "ready")
        assert answer.json()["slack_socket"] == "disconnected"
        assert slack.sockets.connections == []


def test_the_same_click_on_two_replicas_connections_acknowledges_once(
    database_url: str, tmp_path: Path, slack: FakeSlackWithSocketMode
) -> None:
    """Slack spreads envelopes over every open connection, and may deliver one again on another."""
    replicas = [socket_runtime(database_url, tmp_path, slack, APP_TOKEN) for _ in range(2)]
    with TestClient(create_app(replicas[0], manage_runtime=False)) as client:
        for replica in replicas:
            socket_of(replica).start()
        slack.sockets.wait_for_connections(2)
        client.post(
            "/webhooks/generic",
            json={"summary": "DB down"},
            headers={"Authorization": f"Bearer {PAYMENTS_KEY}"},
        )
        click = block_actions(Action.ACKNOWLEDGE, "1", ALICE_SLACK, CHANNEL_ID, slack.response_url("twice"))

        envelopes = [slack.sockets.wait_acked(slack.sockets.send("interactive", click, on=i)) for i in (0, 1)]
        for replica in replicas:  # handles what it acknowledged, then closes
            socket_of(replica).stop()

    timeline = replicas[0].queries.incident(IncidentId(1)).timeline
    assert [e.acks for e in envelopes] == [1, 1]
    assert all(e.acked_in_time for e in envelopes)
    assert sum(isinstance(e, events.IncidentAcknowledged) for e in timeline) == 1
    for replica in replicas:
        replica.intake.stop()
        replica.engine.dispose()


def test_the_app_token_is_not_logged_even_at_debug_level(
    sqlite_url: str, tmp_path: Path, slack: FakeSlackWithSocketMode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    for h in make_socket_harness(sqlite_url, tmp_path, slack):
        h.sockets.wait_for_connections(1)

    assert "apps.connections.open" in caplog.text
    assert APP_TOKEN not in caplog.text
