"""On-call calendars: the shifts of a rotation, or of one person in every rotation, over the weeks ahead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.rotation import Rotation, Shift

# How far ahead a calendar feed looks.
FEED_AHEAD = timedelta(weeks=12)
# How far back the search for the start of the shift under way begins; it doubles until it finds it.
_FIRST_LOOK_BACK = timedelta(days=1)


@dataclass(frozen=True)
class CalendarShift:
    """`person` holds `rotation` from `start` (included) to `end` (excluded)."""

    rotation: str
    person: str
    start: datetime
    end: datetime


def rotation_calendar(
    rotation: Rotation, now: datetime, ahead: timedelta = FEED_AHEAD
) -> list[CalendarShift]:
    """The shifts of `rotation` that end after `now` and begin before `now + ahead`, in order.

    The shift under way keeps its real start rather than `now`: a calendar app tells events apart by an
    id made from their start, and a start that moved with every fetch would duplicate the event."""
    until = now + ahead
    return [
        CalendarShift(rotation.id, s.person, s.start, s.end)
        for s in _shifts_from_current(rotation, now, until)
    ]


def person_calendar(
    rotations: Iterable[Rotation], person: str, now: datetime, ahead: timedelta = FEED_AHEAD
) -> list[CalendarShift]:
    """Every shift `person` holds in any of `rotations` over the same weeks, by start then rotation."""
    held = [shift for r in rotations for shift in rotation_calendar(r, now, ahead) if shift.person == person]
    return sorted(held, key=lambda shift: (shift.start, shift.rotation))


def _shifts_from_current(rotation: Rotation, now: datetime, until: datetime) -> list[Shift]:
    """`rotation.shifts` over [now, until), with the first one not clipped at `now`."""
    # Nobody holds a rotation before its first layer starts or its first override: no shift begins earlier.
    floor = min([rotation.start, *(o.start for o in rotation.overrides)])
    look_back = _FIRST_LOOK_BACK
    while True:
        since = floor if look_back >= now - floor else now - look_back
        if since >= until:
            return []
        shifts = [s for s in rotation.shifts(since, until) if s.end > now]
        # A first shift starting right at `since` may have begun earlier: look further back.
        if not shifts or shifts[0].start > since or since <= floor:
            return shifts
        look_back *= 2
