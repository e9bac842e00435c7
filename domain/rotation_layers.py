"""A rotation's layers: members taking turns from an anchor, on call only inside their restriction windows.

Handoffs and windows are reckoned in the rotation's local wall-clock time, so a daily 09:00 handoff or a
weekday 09:00-17:00 window stays at 09:00 across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """On call from `start` for `length` of local wall-clock time: every day when `day` is None, else every
    week from weekday `day` (0 is Monday)."""

    start: time
    length: timedelta
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and not 0 <= self.day <= 6:
            raise ValueError(f"weekday {self.day} is not 0 (Monday) to 6 (Sunday)")
        if not timedelta(0) < self.length < self.period:
            raise ValueError("a window must be longer than nothing and shorter than its whole day or week")

    @property
    def period(self) -> timedelta:
        return DAY if self.day is None else WEEK

    def covers(self, at: datetime, zone: tzinfo) -> bool:
        """Whether the instant `at` falls inside a window, opened and closed at the instants `edges` gives.

        Reckoned by instants, not by comparing wall-clock times: an edge in a daylight-saving gap or fold
        (02:30 on the night clocks change) would otherwise open or close the window at another instant than
        the one the shifts and handoffs are listed at."""
        today = at.astimezone(zone).date()
        return any(opens <= at < closes for opens, closes in self.spans(today - self.period, today, zone))

    def spans(self, first: date, last: date, zone: tzinfo) -> Iterator[tuple[datetime, datetime]]:
        """The UTC instants at which the windows beginning on local dates `first` to `last` open and close."""
        day = first
        while day <= last:
            if self.day is None or day.weekday() == self.day:
                opens = datetime.combine(day, self.start)
                yield _utc(opens, zone), _utc(opens + self.length, zone)
            day += DAY

    def edges(self, first: date, last: date, zone: tzinfo) -> Iterator[datetime]:
        """Each instant of `spans`, opening or closing."""
        for opens, closes in self.spans(first, last, zone):
            yield opens
            yield closes


@dataclass(frozen=True)
class Layer:
    """`members` take turns of `shift` from `start` (turn 0), handing off at start's local time of day."""

    members: tuple[str, ...]
    start: datetime
    shift: timedelta
    timezone: tzinfo
    restrictions: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a layer needs at least one member")
        if self.shift <= timedelta(0):
            raise ValueError("a layer's shift length must be positive")
        if self.start.tzinfo is None:
            raise ValueError("a layer's start must carry a UTC offset")

    def handoff(self, index: int) -> datetime:
        """The instant turn number `index` begins (turn 0 begins at `start`), in UTC."""
        local_start = self.start.astimezone(self.timezone).replace(tzinfo=None)
        return _utc(local_start + index * self.shift, self.timezone)

    def shift_index(self, at: datetime) -> int | None:
        """The turn under way at `at`; None before the layer starts."""
        at = at.astimezone(UTC)
        if at < self.start:
            return None
        index = int((at - self.start) / self.shift)
        while (begins := self.handoff_in_range(index)) is None or begins > at:
            index -= 1
        while (begins := self.handoff_in_range(index + 1)) is not None and begins <= at:
            index += 1
        return index

    def handoff_in_range(self, index: int) -> datetime | None:
        """`handoff(index)`, or None for a handoff after year 9999, which datetime cannot represent."""
        try:
            return self.handoff(index)
        except OverflowError:
            return None

    def holder(self, at: datetime) -> str | None:
        """Whose turn it is at `at`, if the layer has started and `at` is inside its restriction windows."""
        index = self.shift_index(at)
        if index is None or not self.within_restrictions(at):
            return None
        return self.members[index % len(self.members)]

    def within_restrictions(self, at: datetime) -> bool:
        if not self.restrictions:
            return True
        return any(window.covers(at, self.timezone) for window in self.restrictions)

    def changes(self, after: datetime, until: datetime) -> set[datetime]:
        """Every instant in (after, until] at which this layer may change hands: handoffs and window edges."""
        index = self.shift_index(after)
        moments: set[datetime] = set()
        n = 0 if index is None else index + 1
        alone = len(set(self.members)) == 1
        while (moment := self.handoff_in_range(n)) is not None and moment <= until:
            moments.add(moment)
            n += 1
            if alone:
                break  # one person takes every turn: only the layer's start changes hands
        if self.restrictions:
            first = after.astimezone(self.timezone).date() - WEEK - DAY
            last = until.astimezone(self.timezone).date() + DAY
            for window in self.restrictions:
                moments.update(window.edges(first, last, self.timezone))
        return {m for m in moments if after < m <= until}


def _utc(local: datetime, zone: tzinfo) -> datetime:
    # In UTC: datetimes sharing a ZoneInfo subtract and compare by wall clock, which is wrong across DST.
    return local.replace(tzinfo=zone).astimezone(UTC)
