"""On-call rotations: who holds the pager at a given instant.

Handoffs happen at the same local wall-clock time in the rotation's time zone, so a daily
09:00 handoff stays at 09:00 across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class Override:
    """`person` holds the rotation's pager from `start` (included) to `end` (excluded)."""

    person: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("an override's from and to must carry a UTC offset")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Rotation:
    id: str
    members: tuple[str, ...]
    start: datetime
    shift: timedelta
    timezone: tzinfo
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError(f"rotation {self.id!r} has no member")
        if self.shift <= timedelta(0):
            raise ValueError(f"rotation {self.id!r} has a non-positive shift length")
        if self.start.tzinfo is None:
            raise ValueError(f"rotation {self.id!r} start must carry a UTC offset")

    def handoff(self, index: int) -> datetime:
        """The instant shift number `index` begins (shift 0 begins at `start`), in UTC."""
        local_start = self.start.astimezone(self.timezone).replace(tzinfo=None)
        # In UTC: datetimes sharing a ZoneInfo subtract and compare by wall clock, which is wrong across DST.
        return (local_start + index * self.shift).replace(tzinfo=self.timezone).astimezone(UTC)

    def shift_index(self, at: datetime) -> int | None:
        at = at.astimezone(UTC)
        if at < self.start:
            return None
        index = int((at - self.start) / self.shift)
        while (begins := self._handoff_in_range(index)) is None or begins > at:
            index -= 1
        while (begins := self._handoff_in_range(index + 1)) is not None and begins <= at:
            index += 1
        return index

    def _handoff_in_range(self, index: int) -> datetime | None:
        """`handoff(index)`, or None for a handoff after year 9999, which datetime cannot represent."""
        try:
            return self.handoff(index)
        except OverflowError:
            return None

    def on_call(self, at: datetime) -> str | None:
        """Who holds the pager at `at`: the last override covering it, else the member whose shift it is
        (None before the rotation starts)."""
        for override in reversed(self.overrides):
            if override.covers(at):
                return override.person
        index = self.shift_index(at)
        return None if index is None else self.members[index % len(self.members)]

    def handoffs(self, after: datetime, count: int) -> list[tuple[datetime, str | None]]:
        """The next `count` changes of who is on call after `after`, shift handoffs and overrides alike."""
        index = self.shift_index(after)
        first = 0 if index is None else index + 1
        wanted = (self._handoff_in_range(n) for n in range(first, first + count))
        moments = {moment for moment in wanted if moment is not None}
        if not moments:  # none asked for, or none before the end of datetime's range
            return []
        horizon = max(moments)
        for override in self.overrides:
            moments |= {m for m in (override.start, override.end) if after < m <= horizon}
        changes: list[tuple[datetime, str | None]] = []
        holder = self.on_call(after)
        for moment in sorted(moments):
            if (person := self.on_call(moment)) != holder:
                changes.append((moment, person))
                holder = person
        return changes[:count]
