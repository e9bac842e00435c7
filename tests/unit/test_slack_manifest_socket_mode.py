"""The Socket Mode manifest asks for what the HTTP one asks for, with Socket Mode on and no request URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def manifest(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / name).read_text())
    return loaded


def socket_mode() -> dict[str, Any]:
    return manifest("slack-app-manifest-socket-mode.yaml")


def over_http() -> dict[str, Any]:
    return manifest("slack-app-manifest.yaml")


def test_socket_mode_is_enabled() -> None:
    assert socket_mode()["settings"]["socket_mode_enabled"] is True


def test_no_request_url_is_asked_for() -> None:
    m = socket_mode()

    assert "request_url" not in m["settings"]["event_subscriptions"]
    assert "request_url" not in m["settings"]["interactivity"]
    assert all("url" not in command for command in m["features"]["slash_commands"])
    assert "example.com" not in (ROOT / "slack-app-manifest-socket-mode.yaml").read_text()


def test_the_scopes_are_those_of_the_http_manifest() -> None:
    assert socket_mode()["oauth_config"] == over_http()["oauth_config"]


def test_the_pager_command_is_that_of_the_http_manifest_without_its_url() -> None:
    commands = [{k: v for k, v in c.items() if k != "url"} for c in over_http()["features"]["slash_commands"]]

    assert socket_mode()["features"]["slash_commands"] == commands


def test_the_events_home_tab_and_buttons_are_those_of_the_http_manifest() -> None:
    m, http = socket_mode(), over_http()

    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert (
        m["settings"]["event_subscriptions"]["bot_events"]
        == http["settings"]["event_subscriptions"]["bot_events"]
    )
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["features"]["app_home"] == http["features"]["app_home"]
    assert m["display_information"] == http["display_information"]
