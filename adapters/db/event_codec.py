"""Timeline events to and from JSON text: the class name is the kind, the dataclass fields the data."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import UTC, datetime
from functools import cache

from domain.events import ALL, Event


class UnknownEventKind(LookupError):
    """A stored event whose kind this version of the pager does not know."""


def encode(event: Event) -> tuple[str, str]:
    """(kind, data) for `event`; `at` is left out of data, it has a column of its own."""
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "at"}
    return event.kind, json.dumps(data, default=_encode_value, sort_keys=True)


def decode(kind: str, at: datetime, data: str) -> Event:
    """The event that `encode` turned into (kind, data), recorded at `at`."""
    cls = ALL.get(kind)
    if cls is None:
        raise UnknownEventKind(f"timeline event kind {kind!r} is unknown to this version")
    hints = _hints(kind)
    fields = {name: _decode_value(value, hints[name]) for name, value in json.loads(data).items()}
    return cls(at=at, **fields)


def _encode_value(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} in a timeline event")
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a timeline event")


def _decode_value(value: object, hint: object) -> object:
    if isinstance(value, str) and datetime in _members(hint):
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(value, list):
        return tuple(value)
    return value


def _members(hint: object) -> tuple[object, ...]:
    """The types a hint allows: `datetime | None` allows datetime and NoneType."""
    return typing.get_args(hint) if typing.get_origin(hint) in {typing.Union, types.UnionType} else (hint,)


@cache
def _hints(kind: str) -> dict[str, object]:
    return typing.get_type_hints(ALL[kind])
