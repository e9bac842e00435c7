"""The fake Slack refuses what Slack refuses: a test that passes against it would pass against Slack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.slack_fake import FakeSlack, running_fake_slack


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def slack(clock: Clock) -> Iterator[FakeSlack]:
    yield from running_fake_slack(clock=clock)


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[])


def error_of(client: WebClient, method: str, **params: Any) -> str:
    with pytest.raises(SlackApiError) as refused:
        client.api_call(method, json=params)
    return str(refused.value.response["error"])


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", action_id: str = "go", value: str = "1") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def actions(*elements: dict[str, Any], block_id: str = "a") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def test_a_call_without_a_token_is_not_authed(slack: FakeSlack) -> None:
    tokenless = WebClient(base_url=slack.api_url, retry_handlers=[])

    assert error_of(tokenless, "chat.postMessage", channel="C1", text="hi") == "not_authed"


def test_a_call_with_another_token_is_invalid_auth(slack: FakeSlack) -> None:
    stranger = WebClient(token="xoxb-someone-else", base_url=slack.api_url, retry_handlers=[])

    assert error_of(stranger, "chat.postMessage", channel="C1", text="hi") == "invalid_auth"


def test_the_expected_token_is_a_constructor_argument() -> None:
    for fake in running_fake_slack(token="xoxb-other"):
        client = WebClient(token="xoxb-other", base_url=fake.api_url, retry_handlers=[])
        assert client.api_call("chat.postMessage", json={"channel": "C1", "text": "hi"})["ok"] is True


def test_a_message_of_51_blocks_is_invalid_blocks(client: WebClient) -> None:
    blocks = [section(f"line {i}") for i in range(51)]

    assert error_of(client, "chat.postMessage", channel="C1", text="hi", blocks=blocks) == "invalid_blocks"


def test_a_message_of_50_blocks_is_accepted(client: WebClient) -> None:
    blocks = [section(f"line {i}") for i in range(50)]

    assert client.api_call("chat.postMessage", json={"channel": "C1", "text": "hi", "blocks": blocks})["ok"]


@pytest.mark.parametrize(
    "block",
    [
        section("x" * 3_001),
        section(""),
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}},
        actions(button(text="b" * 76)),
        actions(button(value="v" * 2_001)),
        actions(button(action_id="a" * 256)),
        actions(*(button(action_id=f"b{i}") for i in range(26))),
        actions(button(action_id="same"), button(action_id="same")),
        {"type": "carousel"},
    ],
    ids=[
        "section-3001",
        "section-empty",
        "header-151",
        "header-mrkdwn",
        "button-text-76",
        "button-value-2001",
        "action-id-256",
        "actions-26",
        "action-id-twice",
        "unknown-block",
    ],
)
def test_a_block_over_block_kits_limits_is_invalid_blocks(client: WebClient, block: dict[str, Any]) -> None:
    assert error_of(client, "chat.postMessage", channel="C1", text="hi", blocks=[block]) == "invalid_blocks"


def test_a_block_id_used_twice_in_a_message_is_invalid_blocks(client: WebClient) -> None:
    blocks = [actions(button(), block_id="x"), actions(button(), block_id="x")]

    assert (
        error_of(client, "chat.update", channel="C1", ts="1.1", text="hi", blocks=blocks) == "invalid_blocks"
    )


def test_a_posted_message_of_more_than_12000_characters_of_block_text_is_msg_blocks_too_long(
    client: WebClient,
) -> None:
    blocks = [section("x" * 3_000) for _ in range(5)]

    assert (
        error_of(client, "chat.postMessage", channel="C1", text="hi", blocks=blocks) == "msg_blocks_too_long"
    )


def test_text_over_40000_characters_is_msg_too_long(client: WebClient) -> None:
    assert error_of(client, "chat.postMessage", channel="C1", text="x" * 40_001) == "msg_too_long"


def test_a_message_without_text_or_blocks_is_no_text(client: WebClient) -> None:
    assert error_of(client, "chat.postEphemeral", channel="C1", user="U1") == "no_text"


def test_a_home_view_of_101_blocks_is_refused(client: WebClient) -> None:
    view = {"type": "home", "blocks": [section(f"line {i}") for i in range(101)]}

    assert error_of(client, "views.publish", user_id="U1", view=view) == "invalid_arguments"


def test_a_home_view_of_100_blocks_is_accepted(client: WebClient) -> None:
    view = {"type": "home", "blocks": [section(f"line {i}") for i in range(100)]}

    assert client.api_call("views.publish", json={"user_id": "U1", "view": view})["ok"] is True


def test_posts_to_one_channel_beyond_the_burst_are_rate_limited_with_retry_after(
    client: WebClient, slack: FakeSlack
) -> None:
    for _ in range(slack.post_burst):
        client.api_call("chat.postMessage", json={"channel": "#ops", "text": "hi"})

    with pytest.raises(SlackApiError) as refused:
        client.api_call("chat.postMessage", json={"channel": "COPS", "text": "hi"})  # the same channel

    assert refused.value.response.status_code == 429
    assert refused.value.response.headers["Retry-After"] == "1"


def test_posts_at_one_a_second_are_never_rate_limited(
    client: WebClient, slack: FakeSlack, clock: Clock
) -> None:
    for _ in range(3 * slack.post_burst):
        client.api_call("chat.postMessage", json={"channel": "C1", "text": "hi"})
        clock.now += 1.0

    assert slack.refused == []


def test_posts_to_other_channels_do_not_count_against_a_channel(client: WebClient, slack: FakeSlack) -> None:
    for i in range(2 * slack.post_burst):
        client.api_call("chat.postMessage", json={"channel": f"C{i}", "text": "hi"})

    assert slack.refused == []


def respond(url: str, text: str = "done") -> int:
    return httpx2.post(url, json={"text": text}).status_code


def test_a_response_url_takes_five_answers_and_refuses_the_sixth(slack: FakeSlack) -> None:
    url = slack.response_url("r1")

    answers = [respond(url) for _ in range(6)]

    assert answers == [200] * 5 + [404]
    assert slack.refused[-1].error == "used_url"


def test_a_response_url_expires_after_30_minutes(slack: FakeSlack, clock: Clock) -> None:
    url = slack.response_url("r1")
    clock.now += 30 * 60 + 1

    assert respond(url) == 404


def test_a_response_url_answer_obeys_the_message_rules(slack: FakeSlack) -> None:
    assert respond(slack.response_url("r1"), "x" * 40_001) == 400
