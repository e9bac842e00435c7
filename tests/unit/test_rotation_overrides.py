"""Rotation overrides: someone else holds the pager for a while, across DST changes too."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.rotation import Override, Rotation

ONE_MINUTE = timedelta(minutes=1)
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def daily(zone: ZoneInfo, start: datetime, *overrides: Override) -> Rotation:
    """ann then ben, handing off daily at the local time of `start`."""
    return Rotation.single("r", ("ann", "ben"), start, timedelta(days=1), zone, overrides)


# 09:00 Paris handoffs; clocks go back on 25 October 2026, so that day's handoff is 08:00 UTC.
PARIS_AUTUMN = daily(PARIS, datetime(2026, 10, 22, 7, tzinfo=UTC))
# 09:00 New York handoffs; clocks go forward on 14 March 2027, so that day's handoff is 13:00 UTC.
NEW_YORK_SPRING = daily(NEW_YORK, datetime(2027, 3, 11, 14, tzinfo=UTC))


def test_override_replaces_the_member_on_call_while_it_lasts() -> None:
    override = Override("zoe", datetime(2026, 10, 23, 12, tzinfo=UTC), datetime(2026, 10, 23, 18, tzinfo=UTC))
    rotation = replace(PARIS_AUTUMN, overrides=(override,))

    assert rotation.on_call(datetime(2026, 10, 23, 15, tzinfo=UTC)) == "zoe"


def test_override_ends_at_its_to_instant() -> None:
    end = datetime(2026, 10, 23, 18, tzinfo=UTC)
    rotation = replace(PARIS_AUTUMN, overrides=(Override("zoe", end - timedelta(hours=6), end),))

    assert (rotation.on_call(end - ONE_MINUTE), rotation.on_call(end)) == ("zoe", "ben")


def test_later_override_wins_where_two_overlap() -> None:
    start = datetime(2026, 10, 23, 12, tzinfo=UTC)
    first = Override("zoe", start, start + timedelta(hours=6))
    second = Override("yan", start + timedelta(hours=2), start + timedelta(hours=3))
    rotation = replace(PARIS_AUTUMN, overrides=(first, second))

    assert rotation.on_call(start + timedelta(hours=2, minutes=30)) == "yan"


def test_override_written_in_local_time_spans_the_paris_dst_change() -> None:
    # From 09:00 CEST on 24 October to 09:00 CET on 25 October: 25 hours, across the change.
    override = Override(
        "zoe", datetime(2026, 10, 24, 9, tzinfo=PARIS), datetime(2026, 10, 25, 9, tzinfo=PARIS)
    )
    rotation = replace(PARIS_AUTUMN, overrides=(override,))

    assert (
        rotation.on_call(datetime(2026, 10, 25, 7, 59, tzinfo=UTC)),
        rotation.on_call(datetime(2026, 10, 25, 8, tzinfo=UTC)),
    ) == ("zoe", "ben")


def test_override_in_new_york_hands_back_at_the_shifted_handoff() -> None:
    override = Override(
        "zoe", datetime(2027, 3, 13, 9, tzinfo=NEW_YORK), datetime(2027, 3, 14, 9, tzinfo=NEW_YORK)
    )
    rotation = replace(NEW_YORK_SPRING, overrides=(override,))

    assert (
        rotation.on_call(datetime(2027, 3, 14, 12, 59, tzinfo=UTC)),
        rotation.on_call(datetime(2027, 3, 14, 13, tzinfo=UTC)),
    ) == ("zoe", "ben")


def test_handoffs_list_the_next_changes_at_local_wall_clock_time_across_dst() -> None:
    changes = PARIS_AUTUMN.handoffs(datetime(2026, 10, 24, 10, tzinfo=UTC), 2)

    assert changes == [
        (datetime(2026, 10, 25, 8, tzinfo=UTC), "ben"),
        (datetime(2026, 10, 26, 8, tzinfo=UTC), "ann"),
    ]


def test_handoffs_include_the_start_and_end_of_an_override() -> None:
    start = datetime(2026, 10, 24, 12, tzinfo=UTC)
    rotation = replace(PARIS_AUTUMN, overrides=(Override("zoe", start, start + timedelta(hours=3)),))

    changes = rotation.handoffs(datetime(2026, 10, 24, 10, tzinfo=UTC), 3)

    assert changes == [
        (start, "zoe"),
        (start + timedelta(hours=3), "ann"),
        (datetime(2026, 10, 25, 8, tzinfo=UTC), "ben"),
    ]


def test_override_ending_before_it_starts_is_refused() -> None:
    start = datetime(2026, 10, 24, 12, tzinfo=UTC)

    with pytest.raises(ValueError, match="end after it starts"):
        Override("zoe", start, start)
