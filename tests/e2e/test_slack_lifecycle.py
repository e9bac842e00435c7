"""Slack cards over an incident's life: escalation, exhaustion, bundles, storms, App Home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.slack_card_blocks import Action
from tests.e2e.slack_harness import (
    ALICE_SLACK,
    CHANNEL_ID,
    SEARCH_KEY,
    STRANGER_SLACK,
    SlackHarness,
    make_slack_harness,
)
from tests.slack_fake import FakeSlack, running_fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def h(sqlite_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[SlackHarness]:
    yield from make_slack_harness(sqlite_url, tmp_path, slack)


def thread_replies(h: SlackHarness) -> list[str]:
    return [str(c["text"]) for c in h.slack.calls("chat.postMessage") if "thread_ts" in c]


def test_an_escalation_updates_the_cards_and_says_so_in_the_thread(h: SlackHarness) -> None:
    h.alert()
    h.deliver()

    h.advance(timedelta(minutes=5))

    updates = h.slack.calls("chat.update")
    assert {u["channel"] for u in updates} >= {CHANNEL_ID, f"D{ALICE_SLACK}"}
    assert all("level 2" in json.dumps(u["blocks"]) for u in updates)
    assert [r.split(" at ")[0] for r in thread_replies(h)] == [":arrow_up: Escalated to level 2"]


def test_running_out_of_levels_updates_the_cards_and_says_so_in_the_thread(h: SlackHarness) -> None:
    h.alert()
    h.deliver()
    h.advance(timedelta(minutes=5))

    h.advance(timedelta(minutes=5))

    assert "escalation exhausted" in json.dumps(h.slack.calls("chat.update")[-1]["blocks"])
    assert thread_replies(h)[-1].startswith(":warning: Escalation exhausted")


def test_a_storm_of_changes_updates_each_card_once_with_the_latest_state(h: SlackHarness) -> None:
    h.alert()
    h.deliver()
    h.click(Action.ACKNOWLEDGE, 1)
    h.click(Action.RESOLVE, 1)

    h.drain()

    updates = h.slack.calls("chat.update")
    assert len(updates) == 2
    assert all("Resolved by Alice" in json.dumps(u["blocks"]) for u in updates)
    assert len(thread_replies(h)) == 2


def test_a_card_update_refused_with_429_is_made_once_after_retry_after(h: SlackHarness) -> None:
    h.alert()
    h.deliver()
    h.slack.fail_next("chat.update", 429, retry_after=2)

    h.click(Action.ACKNOWLEDGE, 1)
    h.drain()

    assert len(h.slack.calls("chat.update")) == 2
    assert h.slept == [2.0]


def test_a_card_update_that_failed_is_made_on_the_next_pass(h: SlackHarness) -> None:
    h.alert()
    h.deliver()
    h.slack.fail_next("chat.update", 500)
    h.click(Action.ACKNOWLEDGE, 1)
    h.drain()

    assert h.slack.calls("chat.update") == []

    h.drain()

    updated = {u["channel"] for u in h.slack.calls("chat.update")}
    assert updated == {CHANNEL_ID, f"D{ALICE_SLACK}"}


def test_pages_for_two_incidents_to_one_channel_leave_as_one_card_with_buttons_for_each(
    h: SlackHarness,
) -> None:
    h.alert("DB down")
    h.alert("Index stale", key=SEARCH_KEY)

    h.deliver()

    channel_posts = [c for c in h.slack.calls("chat.postMessage") if c["channel"] == "#payments-oncall"]
    assert len(channel_posts) == 1
    values = [
        (e["action_id"], e["value"])
        for b in channel_posts[0]["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert values == [
        (Action.ACKNOWLEDGE, "1"),
        (Action.RESOLVE, "1"),
        (Action.ACKNOWLEDGE, "2"),
        (Action.RESOLVE, "2"),
    ]


def test_acknowledging_one_incident_of_a_bundle_keeps_the_others_buttons(h: SlackHarness) -> None:
    h.alert("DB down")
    h.alert("Index stale", key=SEARCH_KEY)
    h.deliver()

    h.click(Action.ACKNOWLEDGE, 2)
    h.drain()

    update = next(u for u in h.slack.calls("chat.update") if u["channel"] == CHANNEL_ID)
    values = [
        (e["action_id"], e["value"])
        for b in update["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert values == [(Action.ACKNOWLEDGE, "1"), (Action.RESOLVE, "1"), (Action.RESOLVE, "2")]


def test_opening_the_app_home_publishes_open_incidents_and_services(h: SlackHarness) -> None:
    h.alert("DB down")

    response = h.event({"type": "app_home_opened", "user": ALICE_SLACK, "tab": "home", "channel": "D1"})

    published = h.slack.calls("views.publish")
    assert response.status_code == 200
    assert [p["user_id"] for p in published] == [ALICE_SLACK]
    view = json.dumps(published[0]["view"])
    assert "#1 Payments API" in view
    assert "Search" in view


def test_a_button_pressed_in_the_app_home_acts_and_shows_the_tab_again(h: SlackHarness) -> None:
    h.alert("DB down")

    h.click_in_home(Action.ACKNOWLEDGE, 1)

    published = h.slack.calls("views.publish")
    assert h.state() == "acknowledged"
    assert len(published) == 1
    assert "Acknowledged by Alice" in json.dumps(published[0]["view"])


def test_an_unlinked_user_pressing_a_home_button_is_told_in_a_dm(h: SlackHarness) -> None:
    h.alert("DB down")

    h.click_in_home(Action.ACKNOWLEDGE, 1, user=STRANGER_SLACK)

    dms = [c for c in h.slack.calls("chat.postMessage") if c["channel"] == STRANGER_SLACK]
    assert h.state() == "triggered"
    assert len(dms) == 1
    assert "not linked to a pager person" in dms[0]["text"]
