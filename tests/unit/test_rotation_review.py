"""Rotations where the arithmetic is easy to get wrong: window edges in daylight-saving gaps and folds, the
next handoff far ahead, and calendars of rotations that began long ago."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import rotation_calendar
from domain.rotation import Layer, Override, Rotation, Window

PARIS = ZoneInfo("Europe/Paris")
SPRING = datetime(2026, 3, 29, tzinfo=UTC)  # clocks go from 02:00 to 03:00 in Paris
AUTUMN = datetime(2026, 10, 25, tzinfo=UTC)  # clocks go from 03:00 back to 02:00 in Paris
ANCHOR = datetime(2026, 1, 5, 9, tzinfo=PARIS)


def _disagreements(rotation: Rotation, day: datetime) -> list[datetime]:
    """The instants, every 5 minutes around `day`, where the shifts listed and who is paged differ."""
    since, until = day - timedelta(days=1), day + timedelta(days=2)
    shifts = rotation.shifts(since, until)
    found, at = [], since
    while at < until:
        listed = next((s.person for s in shifts if s.start <= at < s.end), None)
        if listed != rotation.on_call(at):
            found.append(at)
        at += timedelta(minutes=5)
    return found


@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=["gap", "fold"])
@pytest.mark.parametrize(
    "window",
    [
        Window(time(2, 30), timedelta(hours=1)),
        Window(time(22), timedelta(hours=4, minutes=30)),
        Window(time(2, 30), timedelta(hours=20), day=6),
    ],
    ids=["opens-at-02:30", "closes-at-02:30", "weekly-opens-sunday-02:30"],
)
def test_a_window_edge_in_a_dst_change_pages_whom_the_shifts_list(window: Window, day: datetime) -> None:
    restricted = Layer(("ann", "bob"), ANCHOR, timedelta(days=1), PARIS, (window,))
    rotation = Rotation("r", (Layer(("cat",), ANCHOR, timedelta(days=7), PARIS), restricted), PARIS)

    assert _disagreements(rotation, day) == []


def test_handoffs_find_a_weekly_window_opening_beyond_a_few_turns() -> None:
    fridays = Window(time(9), timedelta(hours=8), day=4)
    rotation = Rotation.single("r", ["ann", "bob"], ANCHOR, timedelta(days=1), PARIS, restrictions=[fridays])
    monday_noon = datetime(2026, 3, 2, 12, tzinfo=PARIS)

    assert rotation.handoffs(monday_noon, 1) == [(datetime(2026, 3, 6, 8, tzinfo=UTC), "ann")]


def test_handoffs_list_as_many_weekly_changes_as_asked() -> None:
    saturdays = Window(time(10), timedelta(hours=4), day=5)
    rotation = Rotation.single("r", ["ann"], ANCHOR, timedelta(days=1), PARIS, restrictions=[saturdays])

    found = rotation.handoffs(datetime(2026, 3, 2, tzinfo=UTC), 4)

    assert found == [
        (datetime(2026, 3, 7, 9, tzinfo=UTC), "ann"),
        (datetime(2026, 3, 7, 13, tzinfo=UTC), None),
        (datetime(2026, 3, 14, 9, tzinfo=UTC), "ann"),
        (datetime(2026, 3, 14, 13, tzinfo=UTC), None),
    ]


def test_handoffs_find_an_override_weeks_ahead_of_a_one_person_rotation() -> None:
    cover = Override("bob", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))
    rotation = Rotation.single("r", ["ann"], ANCHOR, timedelta(days=1), PARIS, overrides=[cover])

    assert rotation.handoffs(datetime(2026, 3, 2, tzinfo=UTC), 2) == [
        (datetime(2026, 4, 1, tzinfo=UTC), "bob"),
        (datetime(2026, 4, 2, tzinfo=UTC), "ann"),
    ]


def test_handoffs_find_a_layer_starting_months_ahead() -> None:
    later = datetime(2026, 9, 7, 9, tzinfo=PARIS)
    rotation = Rotation.single("r", ["ann", "bob"], later, timedelta(days=1), PARIS)

    assert rotation.handoffs(datetime(2026, 3, 2, tzinfo=UTC), 1) == [(later.astimezone(UTC), "ann")]


def test_handoffs_of_a_rotation_that_never_changes_hands_are_none() -> None:
    rotation = Rotation.single("r", ["ann"], ANCHOR, timedelta(hours=1), PARIS)

    assert rotation.handoffs(datetime(2026, 3, 2, tzinfo=UTC), 3) == []


def counted_handoffs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many handoff instants get computed (the work a calendar does), counted rather than timed."""
    calls: list[int] = []
    original = Layer.handoff

    def counting(layer: Layer, index: int) -> datetime:
        calls.append(index)
        return original(layer, index)

    monkeypatch.setattr(Layer, "handoff", counting)
    return calls


def test_the_calendar_of_a_one_person_hourly_rotation_begun_years_ago_skips_its_turns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rotation = Rotation.single("r", ["ann"], datetime(2020, 1, 6, tzinfo=UTC), timedelta(hours=1), PARIS)
    work = counted_handoffs(monkeypatch)

    shifts = rotation_calendar(rotation, datetime(2026, 3, 2, tzinfo=UTC))

    # Six years of hourly turns are about 54,000 handoffs; one person never hands over to anyone else.
    assert len(work) < 5_000
    assert [(s.person, s.start) for s in shifts] == [("ann", datetime(2020, 1, 6, tzinfo=UTC))]


def test_twelve_weeks_of_hourly_turns_in_three_layers_compute_each_handoff_a_few_times_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nights = Window(time(18), timedelta(hours=14))
    weekend = Window(time(18), timedelta(hours=60), day=4)
    layers = (
        Layer(("a", "b", "c"), ANCHOR, timedelta(hours=1), PARIS),
        Layer(("d", "e"), ANCHOR, timedelta(hours=1), PARIS, (nights,)),
        Layer(("f", "g", "h"), ANCHOR, timedelta(hours=1), PARIS, (weekend,)),
    )
    rotation = Rotation("r", layers, PARIS)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    work = counted_handoffs(monkeypatch)

    shifts = rotation_calendar(rotation, now)

    # 12 weeks of hourly turns in 3 layers are about 6,000 handoffs.
    assert len(work) < 10 * 6_048
    assert len(shifts) == 12 * 7 * 24
