"""SLACK_APP_TOKEN turns Socket Mode on: read from the environment, checked, never shown; and the backoff."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from bot.slack.socket_mode import Backoff

APP_TOKEN = "xapp-1-A0PAGER-1-secret-part"


def test_the_app_token_is_read_from_the_environment() -> None:
    settings = Settings.from_env({"SLACK_APP_TOKEN": APP_TOKEN})

    assert settings.slack_app_token == APP_TOKEN


def test_without_an_app_token_socket_mode_is_off() -> None:
    assert Settings.from_env({}).slack_app_token is None


def test_the_app_token_is_not_in_the_settings_repr() -> None:
    assert "secret-part" not in repr(Settings.from_env({"SLACK_APP_TOKEN": APP_TOKEN}))


def test_a_bot_token_given_as_app_token_is_refused_without_quoting_it() -> None:
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN: expected an app-level token") as raised:
        Settings.from_env({"SLACK_APP_TOKEN": "xoxb-123-secret-part"})

    assert "secret-part" not in str(raised.value)


def test_the_backoff_starts_small_and_doubles() -> None:
    backoff = Backoff(first=1, most=60)

    assert [backoff.after(d) for d in (0, 1, 2, 4)] == [1, 2, 4, 8]


def test_the_backoff_stops_growing_at_its_most() -> None:
    assert Backoff(first=1, most=60).after(48) == 60
