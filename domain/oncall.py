"""Who is on call in each rotation at an instant, and who takes over next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.errors import NotFound
from domain.model import Catalog, RotationId


class UnknownRotation(NotFound):
    def __init__(self, rotation_id: str) -> None:
        super().__init__(f"unknown rotation {rotation_id!r}")
        self.rotation_id = rotation_id


@dataclass(frozen=True)
class Handoff:
    at: datetime
    person: str | None


@dataclass(frozen=True)
class OnCall:
    rotation: str
    at: datetime
    person: str | None
    next_handoffs: tuple[Handoff, ...]


def on_call(catalog: Catalog, at: datetime, rotation: str | None = None, handoffs: int = 3) -> list[OnCall]:
    """Each rotation (or only `rotation`) at `at`, in id order: who holds the pager and the next changes."""
    if rotation is not None and RotationId(rotation) not in catalog.rotations:
        raise UnknownRotation(rotation)
    wanted = [RotationId(rotation)] if rotation is not None else sorted(catalog.rotations)
    views = []
    for rotation_id in wanted:
        found = catalog.rotations[rotation_id]
        changes = tuple(Handoff(when, person) for when, person in found.handoffs(at, handoffs))
        views.append(OnCall(found.id, at, found.on_call(at), changes))
    return views
