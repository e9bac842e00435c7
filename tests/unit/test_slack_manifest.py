"""The Slack app manifest we ship sends everything to /slack/events and asks for the scopes the bot uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).resolve().parents[2] / "slack-app-manifest.yaml"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_every_request_url_is_the_slack_events_endpoint() -> None:
    m = manifest()
    urls = [
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in m["features"]["slash_commands"]),
    ]

    assert all(url.endswith("/slack/events") for url in urls)
    assert len(urls) == 3


def test_the_bot_can_post_open_dms_and_take_the_pager_command() -> None:
    m = manifest()

    assert set(m["oauth_config"]["scopes"]["bot"]) >= {"chat:write", "im:write", "commands"}
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/pager"]


def test_the_home_tab_and_its_event_are_enabled() -> None:
    m = manifest()

    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in m["settings"]["event_subscriptions"]["bot_events"]
