"""SlackWebApi against a fake Slack over real HTTP: rate limits, pacing per channel, errors mapped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from adapters.slack_api import SlackWebApi
from domain.errors import SendFailed
from tests.slack_fake import FakeSlack, running_fake_slack


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def time_() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(slack: FakeSlack, time_: FakeTime) -> SlackWebApi:
    client = WebClient(token=slack.token, base_url=slack.api_url, retry_handlers=[])
    return SlackWebApi(client, pace=1.0, sleep=time_.sleep, monotonic=time_.monotonic)


def test_a_429_is_retried_after_its_retry_after(api: SlackWebApi, slack: FakeSlack, time_: FakeTime) -> None:
    slack.fail_next("chat.postMessage", 429, retry_after=7)

    api.call("chat.postMessage", channel="C1", text="hi")

    assert len(slack.calls("chat.postMessage")) == 1
    assert 7.0 in time_.slept


def test_a_rate_limit_that_lasts_fails_retryably(api: SlackWebApi, slack: FakeSlack) -> None:
    for _ in range(5):
        slack.fail_next("chat.postMessage", 429, retry_after=1)

    with pytest.raises(SendFailed) as failure:
        api.call("chat.postMessage", channel="C1", text="hi")

    assert failure.value.permanent is False
    assert slack.calls("chat.postMessage") == []


def test_a_server_error_fails_retryably(api: SlackWebApi, slack: FakeSlack) -> None:
    slack.fail_next("chat.update", 500)

    with pytest.raises(SendFailed) as failure:
        api.call("chat.update", channel="C1", ts="1.0", text="hi")

    assert failure.value.permanent is False


def test_an_unknown_channel_fails_permanently(api: SlackWebApi, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", 200, error="channel_not_found")

    with pytest.raises(SendFailed) as failure:
        api.call("chat.postMessage", channel="#nope", text="hi")

    assert failure.value.permanent is True
    assert "channel_not_found" in failure.value.reason


def test_messages_to_one_channel_leave_about_a_second_apart(api: SlackWebApi, time_: FakeTime) -> None:
    for _ in range(3):
        api.call("chat.postMessage", channel="C1", text="hi")

    assert time_.slept == [1.0, 1.0]


def test_messages_to_different_channels_do_not_wait_for_each_other(api: SlackWebApi, time_: FakeTime) -> None:
    api.call("chat.postMessage", channel="C1", text="hi")

    api.call("chat.postMessage", channel="C2", text="hi")

    assert time_.slept == []


def test_an_unreachable_slack_fails_retryably(time_: FakeTime) -> None:
    client = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", retry_handlers=[], timeout=2)
    api = SlackWebApi(client, sleep=time_.sleep, monotonic=time_.monotonic)

    with pytest.raises(SendFailed) as failure:
        api.call("chat.postMessage", channel="C1", text="hi")

    assert failure.value.permanent is False


@pytest.mark.parametrize(
    "error",
    [
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "invalid_arguments",
        "too_many_attachments",
    ],
)
def test_a_message_slack_refuses_fails_permanently(api: SlackWebApi, slack: FakeSlack, error: str) -> None:
    slack.fail_next("chat.postMessage", 200, error=error)

    with pytest.raises(SendFailed) as failure:
        api.call("chat.postMessage", channel="C1", text="hi")

    assert failure.value.permanent is True


def test_a_card_over_fifty_blocks_refused_by_slack_fails_permanently(api: SlackWebApi) -> None:
    blocks = [{"type": "divider"}] * 51

    with pytest.raises(SendFailed) as failure:
        api.call("chat.postMessage", channel="C1", text="hi", blocks=blocks)

    assert (failure.value.permanent, failure.value.reason) == (True, "slack chat.postMessage: invalid_blocks")


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "service_unavailable", "request_timeout"])
def test_a_passing_slack_error_fails_retryably(api: SlackWebApi, slack: FakeSlack, error: str) -> None:
    slack.fail_next("chat.postMessage", 200, error=error)

    with pytest.raises(SendFailed) as failure:
        api.call("chat.postMessage", channel="C1", text="hi")

    assert failure.value.permanent is False
