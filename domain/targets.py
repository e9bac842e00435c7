"""Turning a level's targets into the addresses to notify, each address once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from domain.model import (
    Catalog,
    Channel,
    Contact,
    NotificationStep,
    Person,
    PersonId,
    RotationId,
    Target,
    TargetKind,
)

_RAW_CHANNELS = {
    TargetKind.SMS: Channel.SMS,
    TargetKind.EMAIL: Channel.EMAIL,
    TargetKind.SLACK: Channel.SLACK,
    TargetKind.VOICE: Channel.VOICE,
}


@dataclass(frozen=True)
class OwedStep:
    """Step `number` (counting from 1) of `person`'s notification rules, owed through `target`."""

    person: PersonId
    number: int
    step: NotificationStep
    target: str


@dataclass
class Resolved:
    contacts: list[tuple[Contact, str]] = field(default_factory=list)
    unreachable: list[tuple[str, str]] = field(default_factory=list)
    steps: list[OwedStep] = field(default_factory=list)

    def add(self, contact: Contact, target: Target) -> None:
        if all(known != contact for known, _ in self.contacts):
            self.contacts.append((contact, str(target)))

    def add_steps(self, person: Person, target: Target) -> None:
        if all(known.person != person.id for known in self.steps):
            numbered = enumerate(person.notify, start=1)
            self.steps += [OwedStep(person.id, n, step, str(target)) for n, step in numbered]


def resolve_targets(targets: Iterable[Target], catalog: Catalog, now: datetime) -> Resolved:
    """Every contact the targets reach at `now`; a contact reached twice is listed once. A person with
    notification rules is reached through their steps instead, listed once however often reached.

    A target that reaches nobody (a rotation with nobody on call, a person with no contact
    method) is listed in `unreachable` with the reason, so it can be said on the timeline.
    """
    resolved = Resolved()
    for target in targets:
        if target.kind in _RAW_CHANNELS:
            resolved.add(Contact(_RAW_CHANNELS[target.kind], target.ref), target)
            continue
        person = _person(target, catalog, now, resolved)
        if person is None:
            continue
        if person.notify:
            resolved.add_steps(person, target)
            continue
        if not person.contacts:
            resolved.unreachable.append((str(target), f"{person.id} has no contact method"))
        for contact in person.contacts:
            resolved.add(contact, target)
    return resolved


def _person(target: Target, catalog: Catalog, now: datetime, resolved: Resolved) -> Person | None:
    if target.kind is TargetKind.PERSON:
        return catalog.person(target.ref)
    rotation = catalog.rotations.get(RotationId(target.ref))
    on_call = rotation.on_call(now) if rotation is not None else None
    if on_call is None:
        resolved.unreachable.append((str(target), "nobody is on call"))
        return None
    return catalog.person(on_call)
