"""Config of rotations: one layer (`members`, `start`, `shift`) or several (`layers:`).

Each layer may have restriction windows in the rotation's local time, written `{from: "09:00", to: "17:00"}`
(every day) or `{from: "mon 09:00", to: "fri 17:00"}` (every week).
"""

from __future__ import annotations

import re
from datetime import time, timedelta, timezone
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainValidator, model_validator

from bot.durations import parse_duration
from domain.rotation import Layer, Rotation, Window

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MOMENT = re.compile(r"(?:(?P<day>[a-z]{3})\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})", re.ASCII)


def _moment(value: object) -> tuple[int | None, time]:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 17:00 as the number 1020 (base 60).
        raise ValueError(
            f'quote the time ("{value // 60}:{value % 60:02}"): unquoted, YAML reads it as a number'
        )
    text = str(value).strip().lower() if isinstance(value, str) else ""
    found = _MOMENT.fullmatch(text)
    if not found or (found["day"] is not None and found["day"] not in DAYS):
        raise ValueError(f"{value!r} is not a time like 09:00 or a weekday and time like mon 09:00")
    hour, minute = int(found["hour"]), int(found["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    return (None if found["day"] is None else DAYS.index(found["day"])), time(hour, minute)


def _duration(value: object) -> timedelta:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration like 12h or 7d")
    return parse_duration(str(value))


_Moment = Annotated[tuple[int | None, time], PlainValidator(_moment)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WindowSpec(_Spec):
    start: Annotated[_Moment, Field(alias="from")]
    end: Annotated[_Moment, Field(alias="to")]

    @model_validator(mode="after")
    def _same_kind(self) -> WindowSpec:
        (start_day, start), (end_day, end) = self.start, self.end
        if (start_day is None) != (end_day is None):
            raise ValueError("give a weekday in both from and to (weekly), or in neither (daily)")
        if (start_day, start) == (end_day, end):
            raise ValueError("from and to are the same: a window of the whole day or week restricts nothing")
        return self

    def window(self) -> Window:
        (start_day, start), (end_day, end) = self.start, self.end
        minutes = (end.hour - start.hour) * 60 + end.minute - start.minute
        if start_day is None or end_day is None:
            return Window(start, timedelta(minutes=minutes % (24 * 60)))
        minutes += (end_day - start_day) * 24 * 60
        return Window(start, timedelta(minutes=minutes % (7 * 24 * 60)), start_day)


class LayerSpec(_Spec):
    members: Annotated[list[str], Field(min_length=1)]
    start: AwareDatetime
    shift: Annotated[timedelta, PlainValidator(_duration)]
    restrictions: list[WindowSpec] = []

    def layer(self, zone: ZoneInfo) -> Layer:
        # pydantic gives the start its own tzinfo class; the domain gets the standard library's.
        start = self.start.replace(tzinfo=timezone(self.start.utcoffset() or timedelta(0)))
        windows = tuple(w.window() for w in self.restrictions)
        return Layer(tuple(self.members), start, self.shift, zone, windows)


class SingleRotationSpec(_Spec):
    """The one-layer form: `members`, `start`, `shift` and optional `restrictions` beside `timezone`."""

    timezone: ZoneInfo
    members: Annotated[list[str], Field(min_length=1)]
    start: AwareDatetime
    shift: Annotated[timedelta, PlainValidator(_duration)]
    restrictions: list[WindowSpec] = []

    def all_layers(self) -> list[LayerSpec]:
        # Already checked: built without validating again.
        only = LayerSpec.model_construct(
            members=self.members, start=self.start, shift=self.shift, restrictions=self.restrictions
        )
        return [only]


class LayeredRotationSpec(_Spec):
    """Several layers; where they overlap, the later one wins."""

    timezone: ZoneInfo
    layers: Annotated[list[LayerSpec], Field(min_length=1)]

    def all_layers(self) -> list[LayerSpec]:
        return self.layers


RotationSpec = SingleRotationSpec | LayeredRotationSpec


def spec_for(raw: object) -> type[SingleRotationSpec] | type[LayeredRotationSpec]:
    """The form an entry of `rotations:` is written in: with `layers:` or without."""
    return LayeredRotationSpec if isinstance(raw, dict) and "layers" in raw else SingleRotationSpec


def rotation(rotation_id: str, spec: RotationSpec) -> Rotation:
    layers = tuple(layer.layer(spec.timezone) for layer in spec.all_layers())
    return Rotation(rotation_id, layers, spec.timezone)
