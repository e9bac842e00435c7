"""Many services paging one Slack channel, and markup from monitors and the config, against the fake."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack_card_blocks import Action
from tests.e2e.slack_harness import ALICE_SLACK, SlackHarness, make_slack_harness
from tests.slack_fake import FakeSlack, running_fake_slack
from tests.slack_limits import message_error, view_error

SERVICES = 60
MARKUP = "<!channel> disk\n100% 🔥 & <https://x|y>"
MARKUP_ESCAPED = "&lt;!channel&gt; disk\n100% 🔥 &amp; &lt;https://x|y&gt;"


def key(i: int) -> str:
    return f"svc{i}-key-0123456789"


CONFIG = f"""
people:
  alice: {{name: "Alice <!here> & co", email: alice@example.com, slack: {ALICE_SLACK}}}
escalation_policies:
  default:
    ack_timeout: 5m
    levels:
      - targets: ["slack:#payments-oncall"]
services:
""" + "".join(
    f'  svc{i}: {{name: "Service {i}", escalation_policy: default, integration_keys: ["{key(i)}"]}}\n'
    for i in range(1, SERVICES + 1)
)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from running_fake_slack()


@pytest.fixture
def h(sqlite_url: str, tmp_path: Path, slack: FakeSlack) -> Iterator[SlackHarness]:
    yield from make_slack_harness(sqlite_url, tmp_path, slack, config=CONFIG)


def alert_services(h: SlackHarness, count: int, summary: str = "disk full") -> None:
    for i in range(1, count + 1):
        assert h.alert(f"{summary} on svc{i}", key=key(i)).status_code == 202


def cards_in_channel(h: SlackHarness) -> list[dict[str, Any]]:
    return [c for c in h.slack.calls("chat.postMessage") if c["channel"] == "#payments-oncall"]


def acknowledge_values(post: dict[str, Any]) -> list[str]:
    return [
        e["value"]
        for b in post["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == Action.ACKNOWLEDGE
    ]


def test_forty_services_paging_one_channel_reach_it_every_one_with_its_buttons(h: SlackHarness) -> None:
    alert_services(h, 40)

    h.deliver()

    values = [v for post in cards_in_channel(h) for v in acknowledge_values(post)]
    assert sorted(map(int, values)) == list(range(1, 41))
    assert h.slack.refused == []


def test_a_button_of_the_last_card_of_a_split_bundle_acknowledges_its_incident(h: SlackHarness) -> None:
    alert_services(h, 40)
    h.deliver()
    last = acknowledge_values(cards_in_channel(h)[-1])[-1]

    h.click(Action.ACKNOWLEDGE, int(last))

    assert h.state(int(last)) == "acknowledged"


def test_the_cards_of_a_split_bundle_are_updated_within_slacks_limits(h: SlackHarness) -> None:
    alert_services(h, 40)
    h.deliver()

    for incident_id in (1, 20, 40):
        h.click(Action.ACKNOWLEDGE, incident_id)
    h.drain()

    updated = {(u["channel"], u["ts"]) for u in h.slack.calls("chat.update")}
    assert len(updated) == 3  # incidents 1, 20 and 40 are on three different cards
    assert [r for r in h.slack.refused if r.method == "chat.update"] == []


def test_a_monitors_markup_reaches_the_card_as_literal_text(h: SlackHarness) -> None:
    assert h.alert(MARKUP, key=key(1)).status_code == 202

    h.deliver()

    [post] = cards_in_channel(h)
    assert MARKUP_ESCAPED in post["blocks"][0]["text"]["text"]
    assert MARKUP_ESCAPED in post["text"]
    assert "<!channel>" not in json.dumps(post, ensure_ascii=False)


def test_a_monitors_markup_reaches_pager_incidents_as_literal_text(h: SlackHarness) -> None:
    h.alert(MARKUP, key=key(1))

    answer = h.command("incidents").json()

    assert MARKUP_ESCAPED in answer["blocks"][0]["text"]["text"]
    assert "<!channel>" not in json.dumps(answer, ensure_ascii=False)


def test_pager_incidents_with_forty_open_shows_what_fits_and_how_many_more(h: SlackHarness) -> None:
    alert_services(h, 40)

    answer = h.command("incidents").json()

    assert message_error(answer) is None
    assert answer["blocks"][-1]["text"]["text"] == "…and 16 more open incidents, not shown here."


def test_the_app_home_with_sixty_open_shows_what_fits_and_how_many_more(h: SlackHarness) -> None:
    alert_services(h, SERVICES)

    h.event({"type": "app_home_opened", "user": ALICE_SLACK, "tab": "home"})

    [published] = h.slack.calls("views.publish")
    assert view_error(published["view"]) is None
    assert re.search(r"…and 17 more open incidents", json.dumps(published, ensure_ascii=False))


def test_a_card_of_the_longest_summary_of_escaped_characters_is_accepted(h: SlackHarness) -> None:
    assert h.alert("<&>" * 341, key=key(1)).status_code == 202  # 1,023 characters, 4,092 escaped

    h.deliver()

    [post] = cards_in_channel(h)
    assert post["blocks"][0]["text"]["text"].endswith(
        "…\n:red_circle: Triggered · level 1 · 2026-11-30 09:00 UTC"
    )
    assert h.slack.refused == []


def test_a_persons_name_with_markup_is_shown_as_text_in_answers(h: SlackHarness) -> None:
    h.alert("DB down", key=key(1))

    h.command("ack 1")

    [answer] = h.slack.calls("response_url")
    assert answer["text"] == "Incident #1 acknowledged by Alice &lt;!here&gt; &amp; co: escalation stopped."


def test_a_persons_name_with_markup_is_shown_as_text_in_the_thread_and_card(h: SlackHarness) -> None:
    h.alert("DB down", key=key(1))
    h.deliver()

    h.click(Action.ACKNOWLEDGE, 1)
    h.drain()

    [reply] = [c for c in h.slack.calls("chat.postMessage") if "thread_ts" in c]
    [update] = h.slack.calls("chat.update")
    assert reply["text"].startswith(":large_yellow_circle: Acknowledged by Alice &lt;!here&gt; &amp; co at")
    assert "Acknowledged by Alice &lt;!here&gt; &amp; co" in update["blocks"][0]["text"]["text"]
