"""Slack end to end: cards from a webhook alert, buttons, /pager, signatures, rate limits (fake Slack)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.slack_card_blocks import Action
from domain import events
from domain.model import IncidentId
from tests.e2e.slack_harness import (
    ALICE_SLACK,
    CHANNEL_ID,
    SIGNING_SECRET,
    STRANGER_SLACK,
    SlackHarness,
    form,
    make_slack_harness,
)
from tests.slack_fake import FakeSlack, running_fake_slack, sign


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def h(database_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[SlackHarness]:
    yield from make_slack_harness(database_url, tmp_path, slack)


@pytest.fixture
def paged(h: SlackHarness) -> SlackHarness:
    """An alert was received and level 1 paged: a card in the channel and one in Alice's DMs."""
    h.alert("DB down")
    h.deliver()
    return h


def button_ids(blocks: list[dict[str, object]]) -> list[str]:
    return [
        str(element["action_id"])  # type: ignore[index]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]  # type: ignore[attr-defined]
    ]


def test_an_alert_posts_a_card_to_the_channel_with_both_buttons(paged: SlackHarness) -> None:
    channel_posts = [c for c in paged.slack.calls("chat.postMessage") if c["channel"] == "#payments-oncall"]

    assert len(channel_posts) == 1
    assert "#1 Payments API" in json.dumps(channel_posts[0]["blocks"])
    assert button_ids(channel_posts[0]["blocks"]) == [Action.ACKNOWLEDGE, Action.RESOLVE]


def test_an_alert_sends_the_card_to_the_person_as_a_dm(paged: SlackHarness) -> None:
    dm_posts = [c for c in paged.slack.calls("chat.postMessage") if c["channel"] == f"D{ALICE_SLACK}"]

    assert paged.slack.calls("conversations.open") == [{"users": ALICE_SLACK}]
    assert len(dm_posts) == 1
    assert "DB down" in dm_posts[0]["text"]


def test_a_linked_users_click_acknowledges_the_incident(paged: SlackHarness) -> None:
    response = paged.click(Action.ACKNOWLEDGE, 1)

    assert response.status_code == 200
    assert paged.state() == "acknowledged"


def test_acknowledging_updates_every_card_in_place(paged: SlackHarness) -> None:
    paged.click(Action.ACKNOWLEDGE, 1)
    paged.drain()

    updates = paged.slack.calls("chat.update")
    posted = [c for c in paged.slack.calls("chat.postMessage") if "thread_ts" not in c]
    assert {u["channel"] for u in updates} == {CHANNEL_ID, f"D{ALICE_SLACK}"}
    assert len(updates) == len(posted) == 2
    assert all("Acknowledged by Alice" in json.dumps(u["blocks"]) for u in updates)
    assert all(button_ids(u["blocks"]) == [Action.RESOLVE] for u in updates)


def test_acknowledging_replies_in_the_channel_cards_thread(paged: SlackHarness) -> None:
    paged.click(Action.ACKNOWLEDGE, 1)
    paged.drain()

    assert paged.runtime.slack is not None
    channel_card = next(c for c in paged.runtime.slack.store.cards_of(IncidentId(1)) if c.threaded)
    replies = [c for c in paged.slack.calls("chat.postMessage") if "thread_ts" in c]
    assert [(r["channel"], r["thread_ts"]) for r in replies] == [(CHANNEL_ID, channel_card.ts)]
    assert replies[0]["text"].startswith(":large_yellow_circle: Acknowledged by Alice at ")


def test_acknowledging_by_button_stops_the_escalation(paged: SlackHarness) -> None:
    paged.click(Action.ACKNOWLEDGE, 1)

    paged.advance(timedelta(minutes=30))

    assert [p.address for p in paged.email.sent] == ["alice@example.com"]


def test_a_click_by_an_unlinked_user_is_refused_ephemerally(paged: SlackHarness) -> None:
    response = paged.click(Action.ACKNOWLEDGE, 1, user=STRANGER_SLACK)

    answers = paged.slack.calls("response_url")
    assert response.status_code == 200
    assert len(answers) == 1
    assert answers[0]["response_type"] == "ephemeral"
    assert "not linked to a pager person" in answers[0]["text"]


def test_a_click_by_an_unlinked_user_changes_nothing(paged: SlackHarness) -> None:
    paged.click(Action.RESOLVE, 1, user=STRANGER_SLACK)
    paged.drain()

    assert paged.state() == "triggered"
    assert paged.slack.calls("chat.update") == []


def test_resolving_a_resolved_incident_answers_with_its_current_state(paged: SlackHarness) -> None:
    paged.click(Action.RESOLVE, 1)

    paged.click(Action.RESOLVE, 1)

    answers = paged.slack.calls("response_url")
    assert len(answers) == 1
    assert "already resolved" in answers[0]["text"]
    assert "Resolved by Alice" in answers[0]["text"]


def test_a_forged_request_is_refused_with_401_and_changes_nothing(paged: SlackHarness) -> None:
    body = form({"payload": json.dumps({"type": "block_actions", "user": {"id": ALICE_SLACK}})})

    response = paged.post(body, "application/x-www-form-urlencoded", sign("not-the-secret", body))

    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "X-Slack-Signature"
    assert paged.state() == "triggered"


def test_a_request_older_than_five_minutes_is_refused_with_401(paged: SlackHarness) -> None:
    body = form({"command": "/pager", "text": "ack 1", "user_id": ALICE_SLACK})
    old = sign(SIGNING_SECRET, body, timestamp=int(paged.clock.now().timestamp()) - 3600)

    response = paged.post(body, "application/x-www-form-urlencoded", old)

    assert response.status_code == 401
    assert response.json()["errors"][0]["field"] == "X-Slack-Request-Timestamp"
    assert paged.state() == "triggered"


def test_a_replayed_request_is_refused_with_401(paged: SlackHarness) -> None:
    body = form({"command": "/pager", "text": "help", "user_id": ALICE_SLACK, "team_id": "T1"})
    headers = sign(SIGNING_SECRET, body)
    paged.post(body, "application/x-www-form-urlencoded", headers)

    response = paged.post(body, "application/x-www-form-urlencoded", headers)

    assert response.status_code == 401
    assert "already received" in response.json()["errors"][0]["reason"]


def test_a_signature_reused_for_another_body_is_refused_and_changes_nothing(paged: SlackHarness) -> None:
    harmless = form({"command": "/pager", "text": "help", "user_id": ALICE_SLACK, "team_id": "T1"})
    headers = sign(SIGNING_SECRET, harmless)
    paged.post(harmless, "application/x-www-form-urlencoded", headers)
    forged = form({"command": "/pager", "text": "resolve 1", "user_id": ALICE_SLACK, "team_id": "T1"})

    response = paged.post(forged, "application/x-www-form-urlencoded", headers)

    assert (response.status_code, response.json()["errors"][0]["field"]) == (401, "X-Slack-Signature")
    assert paged.state() == "triggered"


def test_pager_status_lists_the_open_incident(paged: SlackHarness) -> None:
    response = paged.command("status")

    text = json.dumps(response.json()["blocks"])
    assert response.json()["response_type"] == "ephemeral"
    assert "Payments API" in text
    assert "#1 DB down" in text


def test_slack_answering_429_then_200_delivers_the_card_once(h: SlackHarness) -> None:
    h.slack.fail_next("chat.postMessage", 429, retry_after=3)
    h.alert("DB down")

    h.deliver()

    posts = [c for c in h.slack.calls("chat.postMessage") if c["channel"] == "#payments-oncall"]
    assert len(posts) == 1
    assert len(h.slack.failed) == 1
    assert h.slept == [3.0]


def test_slack_answering_500_leaves_the_card_for_a_retry(h: SlackHarness) -> None:
    h.slack.fail_next("chat.postMessage", 500)
    h.slack.fail_next("conversations.open", 500)
    h.alert("DB down")
    h.deliver()

    h.advance(timedelta(seconds=3))

    assert len(h.slack.calls("chat.postMessage")) == 2


def test_without_a_bot_token_slack_events_answer_503(
    database_url: str, tmp_path: Path, slack: FakeSlack
) -> None:
    for harness in make_slack_harness(database_url, tmp_path, slack, token=None):
        response = harness.command("help")

        assert response.status_code == 503
        assert "SLACK_BOT_TOKEN" in response.json()["error"]


def test_slacks_url_verification_challenge_is_answered(h: SlackHarness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "unused"}).encode()

    response = h.post(body, "application/json")

    assert response.status_code == 200
    assert "c-123" in response.text


def test_without_a_bot_token_slack_pages_go_to_the_console(
    database_url: str, tmp_path: Path, slack: FakeSlack
) -> None:
    for harness in make_slack_harness(database_url, tmp_path, slack, token=None):
        harness.alert("DB down")
        harness.deliver()

        timeline = harness.runtime.queries.incident(IncidentId(1)).timeline
        sent = [(e.channel, e.address) for e in timeline if isinstance(e, events.NotificationSent)]
        assert ("slack", "#payments-oncall") in sent
        assert slack.state.calls == []
