"""On-call rotations: who holds the pager at a given instant.

A rotation stacks one or more layers (domain/rotation_layers.py); where several have someone on call, the last
layer wins, and where it has nobody (outside its restriction windows, before its start) the one below shows
through. Overrides sit on top of every layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import pairwise

from domain.rotation_layers import Layer, Window

__all__ = ["Layer", "Override", "Rotation", "Shift", "Window"]

# How far each step of `handoffs` looks ahead for the changes it is asked for, in turns of the longest shift.
_LOOKAHEAD_TURNS = 2
DAY = timedelta(days=1)
WEEK = timedelta(days=7)


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
class Shift:
    """`person` holds the rotation from `start` (included) to `end` (excluded)."""

    start: datetime
    end: datetime
    person: str


@dataclass(frozen=True)
class Rotation:
    id: str
    layers: tuple[Layer, ...]
    timezone: tzinfo
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError(f"rotation {self.id!r} has no layer")

    @classmethod
    def single(
        cls,
        rotation_id: str,
        members: Sequence[str],
        start: datetime,
        shift: timedelta,
        timezone: tzinfo,
        overrides: Sequence[Override] = (),
        restrictions: Sequence[Window] = (),
    ) -> Rotation:
        """A rotation of one layer: `members` take turns of `shift` from `start`."""
        try:
            layer = Layer(tuple(members), start, shift, timezone, tuple(restrictions))
        except ValueError as exc:
            raise ValueError(f"rotation {rotation_id!r}: {exc}") from None
        return cls(rotation_id, (layer,), timezone, tuple(overrides))

    @property
    def members(self) -> tuple[str, ...]:
        """Everyone who takes turns in some layer, each once, in order of appearance."""
        return tuple(dict.fromkeys(m for layer in self.layers for m in layer.members))

    @property
    def start(self) -> datetime:
        """When the first layer starts: nobody is on call before (but for an override)."""
        return min(layer.start for layer in self.layers)

    def on_call(self, at: datetime) -> str | None:
        """Who holds the pager at `at`: the last override covering it, else the last layer with someone on
        call (None when no layer has anyone)."""
        for override in reversed(self.overrides):
            if override.covers(at):
                return override.person
        for layer in reversed(self.layers):
            if (person := layer.holder(at)) is not None:
                return person
        return None

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """Who holds the rotation over [start, end): overrides and layers applied, consecutive periods of the
        same person merged, periods with nobody on call left out."""
        moments = [start, *sorted(m for m in self._changes(start, end) if m < end), end]
        shifts: list[Shift] = []
        for begins, ends in pairwise(moments):
            person = self.on_call(begins)
            if person is None:
                continue
            if shifts and shifts[-1].person == person and shifts[-1].end == begins:
                shifts[-1] = Shift(shifts[-1].start, ends, person)
            else:
                shifts.append(Shift(begins, ends, person))
        return shifts

    def handoffs(self, after: datetime, count: int) -> list[tuple[datetime, str | None]]:
        """The next `count` changes of who is on call after `after`, shift handoffs and overrides alike."""
        if count <= 0:
            return []
        longest = max(max(layer.shift for layer in self.layers), DAY)
        step, cycle = longest * (count + _LOOKAHEAD_TURNS), self._cycle()
        # No change of hands within a cycle after the rota settled, or after the last change: none to come.
        last = _capped(self._settled(after), cycle)
        changes: list[tuple[datetime, str | None]] = []
        holder = self.on_call(after)
        begins = after
        # Step by step, so that the common case looks only a few turns ahead.
        while len(changes) < count and begins < last:
            ends = min(_capped(begins, step), last)
            for moment in sorted(self._changes(begins, ends)):
                if (person := self.on_call(moment)) != holder:
                    changes.append((moment, person))
                    holder, last = person, max(last, _capped(moment, cycle))
            begins = ends
        return changes[:count]

    def _settled(self, after: datetime) -> datetime:
        """From when every layer has begun and every override is over: the rota only repeats after it."""
        return max([after, *(layer.start for layer in self.layers), *(o.end for o in self.overrides)])

    def _cycle(self) -> timedelta:
        """Long enough, once settled, for every layer's members to take a turn in every window of a week."""
        return max(layer.shift * len(layer.members) for layer in self.layers) + WEEK + DAY

    def _changes(self, after: datetime, until: datetime) -> set[datetime]:
        moments = set().union(*(layer.changes(after, until) for layer in self.layers))
        for override in self.overrides:
            moments |= {m for m in (override.start, override.end) if after < m <= until}
        return moments


def _capped(at: datetime, ahead: timedelta) -> datetime:
    """`at + ahead`, or the last instant datetime can represent (with a day to spare for time zones)."""
    last = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
    return at + ahead if last - at > ahead else last
