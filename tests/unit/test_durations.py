"""Durations as written in the config and the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("2m", timedelta(minutes=2)),
        ("1h", timedelta(hours=1)),
        ("7d", timedelta(days=7)),
    ],
)
def test_a_number_with_a_unit_is_that_many_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h30m", timedelta(minutes=90)),
        ("1d12h", timedelta(hours=36)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ],
)
def test_units_from_largest_to_smallest_add_up(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_surrounding_spaces_are_ignored() -> None:
    assert parse_duration(" 5m ") == timedelta(minutes=5)


def test_a_bare_number_is_refused_for_lack_of_a_unit() -> None:
    with pytest.raises(ValueError, match="'90' has no unit"):
        parse_duration("90")


@pytest.mark.parametrize("text", ["0s", "0m", "0d0h"])
def test_zero_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        parse_duration(text)


def test_a_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        parse_duration("-5m")


@pytest.mark.parametrize("text", ["30m1h", "5w", "1.5h", "m", "", "5 m", "5M"])
def test_anything_else_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="like 30s, 1h30m or 7d"):
        parse_duration(text)


def test_a_duration_beyond_what_time_can_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999d")
