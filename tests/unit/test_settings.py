"""Settings read from the environment: defaults, and errors that name the variable."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError


def test_each_channel_sends_eight_pages_at_once_unless_told() -> None:
    assert Settings.from_env({}).sends_per_channel == 8
    assert Settings.from_env({"PAGER_SENDS_PER_CHANNEL": "2"}).sends_per_channel == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_sends_per_channel_must_be_a_whole_number_from_one(value: str) -> None:
    with pytest.raises(SettingsError, match=f"PAGER_SENDS_PER_CHANNEL: .*{value!r}"):
        Settings.from_env({"PAGER_SENDS_PER_CHANNEL": value})
