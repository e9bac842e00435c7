"""Rotations: members take turns; handoffs keep their local wall-clock time across DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.model import RotationId
from domain.rotation import Rotation
from tests.fakes import T0
from tests.unit.conftest import make_catalog

ONE_DAY = timedelta(days=1)
TWELVE_HOURS = timedelta(hours=12)
ONE_MINUTE = timedelta(minutes=1)

# Each case: a rotation handing off at 09:00 local, starting three days before a DST change, and the
# UTC instant of its 09:00 local handoff on the day of the change (written out, not computed).
DST_CHANGES = [
    pytest.param(
        "Europe/Paris",
        datetime(2026, 10, 22, 7, tzinfo=UTC),
        datetime(2026, 10, 25, 8, tzinfo=UTC),
        id="paris-october",
    ),
    pytest.param(
        "Europe/Paris",
        datetime(2027, 3, 25, 8, tzinfo=UTC),
        datetime(2027, 3, 28, 7, tzinfo=UTC),
        id="paris-march",
    ),
    pytest.param(
        "America/New_York",
        datetime(2026, 10, 29, 13, tzinfo=UTC),
        datetime(2026, 11, 1, 14, tzinfo=UTC),
        id="new-york-november",
    ),
    pytest.param(
        "America/New_York",
        datetime(2027, 3, 11, 14, tzinfo=UTC),
        datetime(2027, 3, 14, 13, tzinfo=UTC),
        id="new-york-march",
    ),
]


def rotation(
    zone: str, start: datetime, shift: timedelta, members: tuple[str, ...] = ("ann", "ben")
) -> Rotation:
    return Rotation.single("r", members, start, shift, ZoneInfo(zone))


def primary() -> Rotation:
    """carol then bob, weekly from T0."""
    return make_catalog().rotations[RotationId("primary")]


def test_nobody_is_on_call_before_the_rotation_starts() -> None:
    assert primary().on_call(T0 - ONE_MINUTE) is None


def test_first_member_is_on_call_from_the_start() -> None:
    assert primary().on_call(T0) == "carol"


def test_first_member_keeps_the_pager_until_the_handoff() -> None:
    assert primary().on_call(T0 + timedelta(days=7) - ONE_MINUTE) == "carol"


def test_members_take_turns_and_cycle() -> None:
    weeks = [primary().on_call(T0 + timedelta(days=7 * n)) for n in range(5)]

    assert weeks == ["carol", "bob", "carol", "bob", "carol"]


@pytest.mark.parametrize(("zone", "start", "handoff_utc"), DST_CHANGES)
def test_daily_handoff_keeps_its_local_time_across_dst(
    zone: str, start: datetime, handoff_utc: datetime
) -> None:
    daily = rotation(zone, start, ONE_DAY)

    assert daily.layers[0].handoff(3) == handoff_utc


@pytest.mark.parametrize(("zone", "start", "handoff_utc"), DST_CHANGES)
def test_daily_shift_changes_hands_at_the_local_handoff_after_dst(
    zone: str, start: datetime, handoff_utc: datetime
) -> None:
    daily = rotation(zone, start, ONE_DAY)

    assert (daily.on_call(handoff_utc - ONE_MINUTE), daily.on_call(handoff_utc)) == ("ann", "ben")


@pytest.mark.parametrize(("zone", "start", "handoff_utc"), DST_CHANGES)
def test_twelve_hour_handoffs_keep_their_local_times_across_dst(
    zone: str, start: datetime, handoff_utc: datetime
) -> None:
    half_days = rotation(zone, start, TWELVE_HOURS)

    assert (half_days.layers[0].handoff(6), half_days.layers[0].handoff(7)) == (
        handoff_utc,
        handoff_utc + TWELVE_HOURS,
    )


@pytest.mark.parametrize(("zone", "start", "handoff_utc"), DST_CHANGES)
def test_twelve_hour_shift_changes_hands_at_the_local_handoff_after_dst(
    zone: str, start: datetime, handoff_utc: datetime
) -> None:
    half_days = rotation(zone, start, TWELVE_HOURS, members=("ann", "ben", "cat"))

    assert (half_days.on_call(handoff_utc - ONE_MINUTE), half_days.on_call(handoff_utc)) == ("cat", "ann")


def test_night_shift_over_the_autumn_change_lasts_thirteen_hours() -> None:
    paris = rotation("Europe/Paris", datetime(2026, 10, 22, 7, tzinfo=UTC), TWELVE_HOURS)

    assert paris.layers[0].handoff(6) - paris.layers[0].handoff(5) == timedelta(hours=13)


def test_night_shift_over_the_spring_change_lasts_eleven_hours() -> None:
    paris = rotation("Europe/Paris", datetime(2027, 3, 25, 8, tzinfo=UTC), TWELVE_HOURS)

    assert paris.layers[0].handoff(6) - paris.layers[0].handoff(5) == timedelta(hours=11)


def test_on_call_does_not_depend_on_the_zone_the_instant_is_written_in() -> None:
    # 02:45 local handoffs; on 25 October the 02:30 CET instant comes after that night's 02:45 CEST handoff.
    daily = rotation("Europe/Paris", datetime(2026, 10, 20, 0, 45, tzinfo=UTC), ONE_DAY)
    instant = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)

    assert daily.on_call(instant.astimezone(ZoneInfo("Europe/Paris"))) == daily.on_call(instant) == "ben"


def test_asking_for_no_handoffs_lists_none() -> None:
    rotation = Rotation.single("r", ("alice", "bob"), T0, ONE_DAY, UTC)

    assert rotation.handoffs(T0, 0) == []


def test_near_the_end_of_datetimes_range_the_shift_goes_on_with_no_later_handoff() -> None:
    rotation = Rotation.single("r", ("alice", "bob"), T0, timedelta(days=7), ZoneInfo("Europe/Paris"))
    end_of_time = datetime(9999, 12, 31, 23, tzinfo=UTC)

    assert rotation.on_call(end_of_time) in ("alice", "bob")
    assert rotation.handoffs(end_of_time, 3) == []
