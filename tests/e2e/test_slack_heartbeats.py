"""`/pager heartbeat pause|resume` and the heartbeats in `/pager status`, through the real Slack endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.slack_harness import CONFIG, STRANGER_SLACK, SlackHarness, make_slack_harness
from tests.slack_fake import FakeSlack, running_fake_slack

HEARTBEATS = """
heartbeats:
  backup: {service: payments, interval: 1h, grace: 10m}
"""


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def h(sqlite_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[SlackHarness]:
    for harness in make_slack_harness(sqlite_url, tmp_path, slack, config=CONFIG + HEARTBEATS):
        harness.runtime.pager.engine.rearm()  # as `pager serve` does at start
        yield harness


def replies(h: SlackHarness) -> list[str]:
    return [a["text"] for a in h.slack.calls("response_url")]


def state(h: SlackHarness) -> str:
    [view] = h.runtime.pager.heartbeats.views()
    return view.state.value


def test_pause_by_a_linked_person_pauses_and_says_who(h: SlackHarness) -> None:
    h.command("heartbeat pause backup")

    assert state(h) == "paused"
    assert replies(h) == ["Heartbeat `backup` paused by Alice: it will not page until resumed."]


def test_a_paused_heartbeat_pages_nobody(h: SlackHarness) -> None:
    h.command("heartbeat pause backup")

    h.advance(timedelta(days=1))

    assert h.email.sent == []


def test_resume_watches_again_and_says_when_the_next_ping_is_due(h: SlackHarness) -> None:
    h.command("heartbeat pause backup")
    h.clock.advance(timedelta(hours=3))

    h.command("heartbeat resume backup")

    assert state(h) == "ok"
    assert replies(h)[-1] == "Heartbeat `backup` resumed. The next ping is due by 2026-11-30 13:10 UTC."


def test_pause_by_an_unlinked_user_is_refused_and_changes_nothing(h: SlackHarness) -> None:
    h.command("heartbeat pause backup", user=STRANGER_SLACK)

    assert state(h) == "ok"
    assert "not linked" in replies(h)[0]


def test_an_unknown_heartbeat_is_named_in_the_refusal(h: SlackHarness) -> None:
    h.command("heartbeat pause nightly")

    assert replies(h) == ["Unknown heartbeat 'nightly'."]


def test_a_wrong_heartbeat_subcommand_gets_the_usage(h: SlackHarness) -> None:
    h.command("heartbeat stop backup")

    assert replies(h)[0].startswith("Usage: `/pager heartbeat pause <name>`")


def test_status_shows_each_heartbeat_and_its_state(h: SlackHarness) -> None:
    h.command("heartbeat pause backup")

    blocks = json.dumps(h.command("status").json()["blocks"])

    assert "heartbeat *backup*: paused by Alice" in blocks
