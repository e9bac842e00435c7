"""Which shifts an on-call calendar holds: a rotation's, or one person's in every rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import FEED_AHEAD, CalendarShift, person_calendar, rotation_calendar
from domain.rotation import Override, Rotation

PARIS = ZoneInfo("Europe/Paris")
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=PARIS)  # a Monday, 08:00 UTC


def weekly(
    rotation_id: str = "primary", members: tuple[str, ...] = ("alice", "bob"), *overrides: Override
) -> Rotation:
    return Rotation.single(rotation_id, members, MONDAY, WEEK, PARIS, overrides)


def spans(shifts: list[CalendarShift]) -> list[tuple[str, datetime, datetime]]:
    return [(s.person, s.start, s.end) for s in shifts]


def test_the_shift_under_way_keeps_its_real_start_not_now() -> None:
    now = MONDAY + 2 * DAY + timedelta(hours=5)

    first = rotation_calendar(weekly(), now)[0]

    assert (first.person, first.start) == ("alice", MONDAY)


def test_the_calendar_covers_twelve_weeks_from_now_and_no_more() -> None:
    now = MONDAY + 2 * DAY

    shifts = rotation_calendar(weekly(), now)

    assert len(shifts) == 13  # the week under way, then 11 whole weeks and the start of one more
    assert shifts[-1].end == now + FEED_AHEAD
    assert all(s.end > now and s.start < now + FEED_AHEAD for s in shifts)


def test_shifts_that_ended_before_now_are_left_out() -> None:
    now = MONDAY + WEEK + DAY

    shifts = rotation_calendar(weekly(), now)

    assert spans(shifts)[0] == ("bob", MONDAY + WEEK, MONDAY + 2 * WEEK)


def test_a_rotation_that_has_not_started_begins_at_its_start() -> None:
    shifts = rotation_calendar(weekly(), MONDAY - 3 * DAY)

    assert spans(shifts)[0] == ("alice", MONDAY, MONDAY + WEEK)


def test_a_rotation_starting_after_the_twelve_weeks_has_no_shift() -> None:
    assert rotation_calendar(weekly(), MONDAY - FEED_AHEAD - DAY) == []


def test_a_lone_member_holds_one_shift_since_the_rotation_began_long_ago() -> None:
    lone = weekly("solo", ("alice",))
    now = MONDAY + 300 * WEEK

    assert spans(rotation_calendar(lone, now)) == [("alice", MONDAY, now + FEED_AHEAD)]


def test_the_same_shift_starts_at_the_same_instant_whenever_the_calendar_is_asked() -> None:
    rotation = weekly()

    earlier = rotation_calendar(rotation, MONDAY + DAY)
    later = rotation_calendar(rotation, MONDAY + 3 * DAY + timedelta(minutes=7))

    assert [s.start for s in earlier[:12]] == [s.start for s in later[:12]]


def test_an_override_splits_the_shift_it_falls_in() -> None:
    override = Override("bob", MONDAY + DAY, MONDAY + 2 * DAY)

    shifts = rotation_calendar(weekly("primary", ("alice", "bob"), override), MONDAY)

    assert spans(shifts)[:3] == [
        ("alice", MONDAY, MONDAY + DAY),
        ("bob", MONDAY + DAY, MONDAY + 2 * DAY),
        ("alice", MONDAY + 2 * DAY, MONDAY + WEEK),
    ]


def test_daily_handoffs_stay_at_nine_in_paris_across_both_clock_changes() -> None:
    daily = Rotation.single("primary", ("alice", "bob"), datetime(2026, 1, 5, 9, tzinfo=PARIS), DAY, PARIS)

    for now in (datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 10, 15, tzinfo=UTC)):
        starts = [s.start.astimezone(PARIS) for s in rotation_calendar(daily, now)[1:30]]

        assert {(t.hour, t.minute) for t in starts} == {(9, 0)}
        assert len({t.utcoffset() for t in starts}) == 2  # both sides of the change


def test_a_persons_calendar_gathers_their_shifts_in_every_rotation_in_order() -> None:
    primary, secondary = weekly("primary"), weekly("secondary", ("bob", "alice"))

    shifts = person_calendar([secondary, primary], "alice", MONDAY)

    assert [(s.rotation, s.start) for s in shifts[:3]] == [
        ("primary", MONDAY),
        ("secondary", MONDAY + WEEK),
        ("primary", MONDAY + 2 * WEEK),
    ]
    assert {s.person for s in shifts} == {"alice"}


def test_an_override_shows_in_the_calendar_of_who_takes_it() -> None:
    override = Override("carol", MONDAY + DAY, MONDAY + 2 * DAY)

    shifts = person_calendar([weekly("primary", ("alice", "bob"), override)], "carol", MONDAY)

    assert [(s.rotation, s.start, s.end) for s in shifts] == [("primary", MONDAY + DAY, MONDAY + 2 * DAY)]


def test_someone_in_no_rotation_has_an_empty_calendar() -> None:
    assert person_calendar([weekly()], "dave", MONDAY) == []
