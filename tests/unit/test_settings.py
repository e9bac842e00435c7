"""Settings read from the environment: defaults, and errors that name the variable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adapters.db import make_engine
from bot.bootstrap import _sends_at_once
from bot.settings import Settings, SettingsError


def test_sends_per_channel_is_left_to_the_database_unless_told() -> None:
    assert Settings.from_env({}).sends_per_channel is None
    assert Settings.from_env({"PAGER_SENDS_PER_CHANNEL": "2"}).sends_per_channel == 2


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_sends_per_channel_must_be_a_whole_number_from_one(value: str) -> None:
    with pytest.raises(SettingsError, match=f"PAGER_SENDS_PER_CHANNEL: .*{value!r}"):
        Settings.from_env({"PAGER_SENDS_PER_CHANNEL": value})


def test_by_default_a_channel_sends_eight_at_once_on_postgresql_and_two_on_sqlite(tmp_path: Path) -> None:
    postgres = make_engine("postgresql://pager@127.0.0.1:1/pager")  # never connected to
    sqlite = make_engine(f"sqlite:///{tmp_path / 'pager.db'}")
    told = Settings.from_env({"PAGER_SENDS_PER_CHANNEL": "3"})
    try:
        found = [_sends_at_once(Settings(), postgres), _sends_at_once(Settings(), sqlite)]
        found.append(_sends_at_once(told, sqlite))
    finally:
        postgres.dispose()
        sqlite.dispose()
    assert found == [8, 2, 3]


def test_delivery_deadline_is_two_minutes_unless_told() -> None:
    assert Settings.from_env({}).delivery_deadline == timedelta(minutes=2)
    assert Settings.from_env({"PAGER_DELIVERY_DEADLINE": "45s"}).delivery_deadline == timedelta(seconds=45)


def test_a_bad_delivery_deadline_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="PAGER_DELIVERY_DEADLINE: "):
        Settings.from_env({"PAGER_DELIVERY_DEADLINE": "soon"})
