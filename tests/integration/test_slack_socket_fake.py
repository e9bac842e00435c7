"""The fake Socket Mode answers as Slack does: URLs only for the app-level token, each URL good once, `hello`
first, acknowledgements matched to their envelopes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.slack_fake import BOT_TOKEN
from tests.slack_socket_fake import APP_TOKEN, FakeSlackWithSocketMode, running_socket_slack


@pytest.fixture
def slack() -> Iterator[FakeSlackWithSocketMode]:
    with running_socket_slack() as fake:
        yield fake


def open_url(slack: FakeSlackWithSocketMode, token: str) -> str:
    return str(WebClient(base_url=slack.api_url).apps_connections_open(app_token=token)["url"])


@pytest.mark.parametrize(
    ("token", "error"),
    [("", "not_authed"), (BOT_TOKEN, "not_allowed_token_type"), ("xapp-1-other", "invalid_auth")],
)
def test_only_the_app_token_opens_a_connection(
    slack: FakeSlackWithSocketMode, token: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        open_url(slack, token)

    assert refused.value.response["error"] == error
    assert slack.urls_opened == 0


def test_a_connection_starts_with_hello(slack: FakeSlackWithSocketMode) -> None:
    with connect(open_url(slack, APP_TOKEN)) as ws:
        hello = json.loads(ws.recv(timeout=5))

    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1


def test_a_url_is_good_for_one_connection_only(slack: FakeSlackWithSocketMode) -> None:
    url = open_url(slack, APP_TOKEN)
    with connect(url):
        pass

    with pytest.raises(InvalidStatus):
        connect(url)

    assert slack.sockets.refused_handshakes == 1


def test_an_acknowledgement_is_matched_to_its_envelope(slack: FakeSlackWithSocketMode) -> None:
    with connect(open_url(slack, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        slack.sockets.wait_for_connections(1)
        envelope = slack.sockets.send("events_api", {"type": "event_callback", "event": {"type": "x"}})
        sent = json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"envelope_id": sent["envelope_id"]}))

        slack.sockets.wait_acked(envelope)

    assert (sent["type"], envelope.acks, envelope.acked_in_time) == ("events_api", 1, True)


def test_an_envelope_never_acknowledged_is_reported_late(slack: FakeSlackWithSocketMode) -> None:
    with connect(open_url(slack, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        slack.sockets.wait_for_connections(1)
        envelope = slack.sockets.send("interactive", {"type": "block_actions"})

    assert slack.sockets.late() == [envelope]
