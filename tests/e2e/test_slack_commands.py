"""The /pager slash command through the real endpoint: every subcommand, ephemeral answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.e2e.slack_harness import BOB_SLACK, STRANGER_SLACK, SlackHarness, make_slack_harness
from tests.slack_fake import FakeSlack, running_fake_slack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def h(sqlite_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[SlackHarness]:
    yield from make_slack_harness(sqlite_url, tmp_path, slack)


def answer_text(h: SlackHarness, text: str) -> str:
    response = h.command(text)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    return json.dumps(response.json()["blocks"])


def test_status_of_one_service_lists_only_that_service(h: SlackHarness) -> None:
    h.alert()

    text = answer_text(h, "status search")

    assert "Search" in text
    assert "Payments API" not in text


def test_status_of_an_unknown_service_says_so(h: SlackHarness) -> None:
    assert "Unknown service `billing`" in answer_text(h, "status billing")


def test_incidents_lists_open_incidents_with_their_buttons(h: SlackHarness) -> None:
    h.alert("DB down")

    text = answer_text(h, "incidents")

    assert "DB down" in text
    assert "pager_acknowledge" in text


def test_incidents_says_when_nothing_is_open(h: SlackHarness) -> None:
    assert "No open incident" in answer_text(h, "incidents")


def test_ack_acknowledges_and_answers_through_the_response_url(h: SlackHarness) -> None:
    h.alert()

    h.command("ack 1")

    assert h.state() == "acknowledged"
    assert [a["text"] for a in h.slack.calls("response_url")] == [
        "Incident #1 acknowledged by Alice: escalation stopped."
    ]


def test_resolve_resolves_the_incident(h: SlackHarness) -> None:
    h.alert()

    h.command("resolve #1")

    assert h.state() == "resolved"


def test_ack_by_an_unlinked_user_is_refused_and_changes_nothing(h: SlackHarness) -> None:
    h.alert()

    h.command("ack 1", user=STRANGER_SLACK)

    assert h.state() == "triggered"
    assert "not linked to a pager person" in h.slack.calls("response_url")[0]["text"]


def test_ack_of_an_unknown_incident_says_it_does_not_exist(h: SlackHarness) -> None:
    h.command("ack 42")

    assert h.slack.calls("response_url")[0]["text"] == "Incident 42 does not exist."


def test_ack_without_an_id_shows_its_usage(h: SlackHarness) -> None:
    h.command("ack")

    assert h.slack.calls("response_url")[0]["text"].startswith("Usage: `/pager ack <incident id>`")


def test_oncall_names_who_is_on_call_now_and_next(h: SlackHarness) -> None:
    assert "Bob now; Alice from 2026-12-07 09:00 UTC" in answer_text(h, "oncall")


def test_oncall_of_an_unknown_rotation_says_so(h: SlackHarness) -> None:
    assert "Unknown rotation `nights`" in answer_text(h, "oncall nights")


def test_help_lists_every_subcommand(h: SlackHarness) -> None:
    text = answer_text(h, "help")

    for verb in ("status", "incidents", "ack", "resolve", "oncall", "help"):
        assert f"/pager {verb}" in text


def test_an_unknown_subcommand_answers_with_help(h: SlackHarness) -> None:
    text = answer_text(h, "dance")

    assert "Unknown subcommand `dance`" in text
    assert "/pager status" in text


def test_slack_settings_are_read_from_the_environment() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "signing-secret-value",
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
    }

    settings = Settings.from_env(env)

    assert (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_api_url) == (
        "xoxb-1",
        "signing-secret-value",
        "http://127.0.0.1:1/api/",
    )
    assert "xoxb-1" not in repr(settings)
    assert "signing-secret-value" not in repr(settings)


def test_ack_of_an_incident_someone_else_acknowledged_says_who_did(h: SlackHarness) -> None:
    h.alert()
    h.command("ack 1", user=BOB_SLACK)

    h.command("ack 1")

    assert h.slack.calls("response_url")[-1]["text"] == "Incident #1 was already acknowledged by Bob."
