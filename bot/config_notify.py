"""Config of people's notification rules (`notify: [{sms: 0m}, {voice: 2m}]`): each step checked, the
person built with them, and what `pager check-config` warns about them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

from bot.durations import parse_duration
from domain.model import Channel, NotificationStep, Person, PersonId

_ZERO = re.compile(r"0+[dhms]?", re.ASCII)


class LocatedProblem(ValueError):
    """A problem of one part of a config entry: `loc` is its path within the entry."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def notify_step(value: object) -> tuple[Channel, timedelta]:
    """One step written `{method: delay}`, the delay `0m` or a duration like `2m`."""
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ValueError(f"{value!r} is not one method and its delay, like {{sms: 2m}}")
    ((method, delay),) = value.items()
    if method not in set(Channel):
        methods = ", ".join(c.value for c in Channel)
        raise ValueError(f"unknown method {method!r} (expected one of {methods})")
    return Channel(method), _delay(delay)


def _delay(value: object) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{value!r} is not a delay like 0m, 30s or 2m")
    text = str(value).strip()
    return timedelta(0) if _ZERO.fullmatch(text) else parse_duration(text)


def with_notify(person: Person, steps: Sequence[tuple[Channel, timedelta]]) -> Person:
    """The person paged by `steps` on their own methods; LocatedProblem names a step whose method
    the person lacks."""
    methods = {c.channel: c for c in (*person.contacts, *person.fallbacks)}
    built = []
    for index, (channel, delay) in enumerate(steps):
        if channel not in methods:
            raise LocatedProblem(("notify", index), f"{person.id} has no {channel} method to page")
        built.append(NotificationStep(methods[channel], delay))
    # In time order: a step that fails pages the one due after it.
    return replace(person, notify=tuple(sorted(built, key=lambda step: step.delay)))


def notify_warnings(people: Mapping[PersonId, Person]) -> list[str]:
    """Rules that never call, never text, or leave a `fallback` list unused."""
    warnings = []
    for person in sorted(people.values(), key=lambda p: p.id):
        if not person.notify:
            continue
        used = {step.contact.channel for step in person.notify}
        warnings += [f"people.{person.id}.notify: {w}" for w in _gaps(used)]
        if person.fallbacks:
            warnings.append(f"people.{person.id}.fallback: unused: the notify steps decide what is paged")
    return warnings


def _gaps(used: Iterable[Channel]) -> list[str]:
    channels = set(used)
    gaps = []
    if Channel.VOICE not in channels:
        gaps.append("no voice step: these rules never call")
    if Channel.SMS not in channels:
        gaps.append("no sms step: these rules never text")
    return gaps
