"""Rotation layers and windows: the last layer with someone on call wins; windows keep local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config import ConfigError, parse_config
from domain.model import RotationId
from domain.rotation import Layer, Override, Rotation, Shift, Window

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2026, 3, 23, 8, tzinfo=UTC)  # Monday 09:00 in Paris; clocks go forward on Sunday 29 March
WEEKDAYS_9_TO_5 = Window(time(9), timedelta(days=4, hours=8), day=0)


def paris(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def weekly(*members: str, restrictions: tuple[Window, ...] = ()) -> Layer:
    return Layer(members, MONDAY, timedelta(days=7), PARIS, restrictions)


def stacked(*layers: Layer, overrides: tuple[Override, ...] = ()) -> Rotation:
    return Rotation("r", layers, PARIS, overrides)


def test_an_upper_layer_wins_inside_its_window() -> None:
    rotation = stacked(weekly("ann"), weekly("day", restrictions=(Window(time(9), timedelta(hours=8)),)))

    assert rotation.on_call(paris(24, 12)) == "day"


def test_the_lower_layer_shows_through_outside_the_upper_window() -> None:
    rotation = stacked(weekly("ann"), weekly("day", restrictions=(Window(time(9), timedelta(hours=8)),)))

    assert (rotation.on_call(paris(24, 8, 59)), rotation.on_call(paris(24, 17))) == ("ann", "ann")


def test_a_weekly_window_covers_monday_morning_to_friday_evening_only() -> None:
    rotation = stacked(weekly("day", restrictions=(WEEKDAYS_9_TO_5,)))

    at = [paris(23, 9), paris(26, 23), paris(27, 16, 59), paris(27, 17), paris(28, 12), paris(23, 8, 59)]
    assert [rotation.on_call(moment) for moment in at] == ["day", "day", "day", None, None, None]


def test_a_daily_window_crossing_midnight_covers_the_night() -> None:
    night = Window(time(18), timedelta(hours=14))
    rotation = stacked(weekly("owl", restrictions=(night,)))

    assert [rotation.on_call(paris(24, h)) for h in (7, 8, 12, 18, 23)] == ["owl", None, None, "owl", "owl"]


def test_a_window_keeps_its_local_hours_across_the_spring_change() -> None:
    rotation = stacked(weekly("day", restrictions=(Window(time(9), timedelta(hours=8)),)))

    before, after = rotation.shifts(paris(27, 0), paris(28, 0)), rotation.shifts(paris(30, 0), paris(31, 0))
    local = [(s.start.astimezone(PARIS).hour, s.end.astimezone(PARIS).hour) for s in (*before, *after)]
    assert local == [(9, 17), (9, 17)]


def test_shifts_list_who_holds_the_rotation_with_overrides_and_gaps_left_out() -> None:
    zoe = Override("zoe", paris(24, 12), paris(24, 14))
    rotation = stacked(weekly("ann", restrictions=(Window(time(9), timedelta(hours=8)),)), overrides=(zoe,))

    assert rotation.shifts(paris(24, 0), paris(25, 0)) == [
        Shift(paris(24, 9), paris(24, 12), "ann"),
        Shift(paris(24, 12), paris(24, 14), "zoe"),
        Shift(paris(24, 14), paris(24, 17), "ann"),
    ]


def test_consecutive_turns_of_the_same_person_make_one_shift() -> None:
    rotation = stacked(Layer(("ann",), MONDAY, timedelta(days=1), PARIS))

    assert rotation.shifts(paris(24, 0), paris(27, 0)) == [Shift(paris(24, 0), paris(27, 0), "ann")]


def test_handoffs_include_window_edges_of_upper_layers() -> None:
    rotation = stacked(weekly("ann"), weekly("day", restrictions=(Window(time(9), timedelta(hours=8)),)))

    assert rotation.handoffs(paris(24, 12), 2) == [(paris(24, 17), "ann"), (paris(25, 9), "day")]


@pytest.mark.parametrize("length", [timedelta(0), timedelta(days=1)])
def test_a_daily_window_of_nothing_or_the_whole_day_is_refused(length: timedelta) -> None:
    with pytest.raises(ValueError, match="shorter than its whole day"):
        Window(time(9), length)


def config(rotation: dict[str, object]) -> str:
    return yaml.safe_dump(
        {
            "people": {"ann": {"email": "ann@example.com"}, "bob": {"email": "bob@example.com"}},
            "rotations": {"r": rotation},
            "escalation_policies": {"p": {"levels": [{"targets": ["rotation:r"]}]}},
            "services": {"s": {"escalation_policy": "p"}},
        }
    )


def test_layers_and_windows_are_read_from_the_config() -> None:
    text = config(
        {
            "timezone": "Europe/Paris",
            "layers": [
                {"members": ["ann"], "start": "2026-03-23T09:00:00+01:00", "shift": "7d"},
                {
                    "members": ["bob"],
                    "start": "2026-03-23T09:00:00+01:00",
                    "shift": "7d",
                    "restrictions": [{"from": "mon 09:00", "to": "fri 17:00"}],
                },
            ],
        }
    )

    rotation = parse_config(text, "pager.yaml", {}).catalog.rotations[RotationId("r")]

    assert rotation.layers[1].restrictions == (WEEKDAYS_9_TO_5,)
    assert [rotation.on_call(paris(24, 12)), rotation.on_call(paris(28, 12))] == ["bob", "ann"]


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        ({"from": "9am", "to": "17:00"}, "rotations.r.restrictions[0].from: '9am' is not a time like 09:00"),
        ({"from": "mon 09:00", "to": "17:00"}, "rotations.r.restrictions[0]: give a weekday in both"),
        ({"from": "09:00", "to": "09:00"}, "rotations.r.restrictions[0]: from and to are the same"),
        (
            {"from": "sun 25:00", "to": "mon 01:00"},
            "rotations.r.restrictions[0].from: 'sun 25:00' is not a time",
        ),
    ],
)
def test_a_bad_window_is_reported_at_its_path(window: dict[str, str], problem: str) -> None:
    text = config(
        {
            "timezone": "UTC",
            "members": ["ann"],
            "start": "2026-03-23T09:00:00Z",
            "shift": "1d",
            "restrictions": [window],
        }
    )

    with pytest.raises(ConfigError) as raised:
        parse_config(text, "pager.yaml", {})
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_an_unknown_member_of_a_layer_is_reported_at_its_path() -> None:
    layer = {"members": ["ann", "carl"], "start": "2026-03-23T09:00:00Z", "shift": "1d"}
    text = config({"timezone": "UTC", "layers": [layer]})

    with pytest.raises(ConfigError) as raised:
        parse_config(text, "pager.yaml", {})
    assert raised.value.problems == ["rotations.r.layers[0].members[1]: unknown person 'carl'"]


def test_layers_beside_members_are_refused() -> None:
    layer = {"members": ["ann"], "start": "2026-03-23T09:00:00Z", "shift": "1d"}
    text = config({"timezone": "UTC", "layers": [layer], "members": ["bob"]})

    with pytest.raises(ConfigError) as raised:
        parse_config(text, "pager.yaml", {})
    assert any(p.startswith("rotations.r.members") for p in raised.value.problems), raised.value.problems


def test_an_unquoted_time_is_reported_with_the_quotes_to_add() -> None:
    rotation = {"timezone": "UTC", "members": ["ann"], "start": "2026-03-23T09:00:00Z", "shift": "1d"}
    window = {"from": "09:00", "to": "TO"}
    text = config({**rotation, "restrictions": [window]}).replace("to: TO", "to: 17:00")

    with pytest.raises(ConfigError) as raised:
        parse_config(text, "pager.yaml", {})
    assert raised.value.problems == [
        'rotations.r.restrictions[0].to: quote the time ("17:00"): unquoted, YAML reads it as a number'
    ]
