"""On-call rotations: who holds the pager at a given instant.

Handoffs happen at the same local wall-clock time in the rotation's time zone, so a daily
09:00 handoff stays at 09:00 across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo


@dataclass(frozen=True)
class Rotation:
    id: str
    members: tuple[str, ...]
    start: datetime
    shift: timedelta
    timezone: tzinfo

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
        while self.handoff(index) > at:
            index -= 1
        while self.handoff(index + 1) <= at:
            index += 1
        return index

    def on_call(self, at: datetime) -> str | None:
        """The member holding the pager at `at`, or None before the rotation starts."""
        index = self.shift_index(at)
        return None if index is None else self.members[index % len(self.members)]
