"""Config checks for on-call: phone numbers in E.164, rotation overrides, people's fallback methods."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from domain.model import Channel, Person, PersonId, RotationId
from domain.rotation import Override, Rotation

Loc = tuple[str | int, ...]
Report = Callable[[Loc, str], None]
ReportValidation = Callable[[ValidationError, Loc], None]


def normalise_phone(value: object) -> str:
    """The number in E.164 (`+33612345678`); spaces and dashes are accepted, a missing `+` is not."""
    problem = f"{value!r} is not an international phone number (+ then country code and number)"
    if not isinstance(value, str) or not value.strip().startswith("+"):
        raise ValueError(problem)
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError(problem) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{problem}: no such number is in use in that country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class _OverrideSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    rotation: Annotated[str, Field(min_length=1)]
    person: Annotated[str, Field(min_length=1)]
    start: Annotated[AwareDatetime, Field(alias="from")]
    end: Annotated[AwareDatetime, Field(alias="to")]


def apply_overrides(
    raw: Sequence[object],
    rotations: Sequence[Rotation],
    people: Mapping[str, object],
    report: Report,
    report_validation: ReportValidation,
) -> list[Rotation]:
    """`rotations` with the `overrides:` section's entries attached, in the order they are written."""
    by_id = {r.id: r for r in rotations}
    for index, entry in enumerate(raw):
        loc: Loc = ("overrides", index)
        checked = _override(entry, loc, report, report_validation)
        if checked is None:
            continue
        spec, override = checked
        if spec.person not in people:
            report((*loc, "person"), f"unknown person {spec.person!r}")
        elif spec.rotation not in by_id:
            report((*loc, "rotation"), f"unknown rotation {spec.rotation!r}")
        else:
            rotation = by_id[spec.rotation]
            by_id[spec.rotation] = replace(rotation, overrides=(*rotation.overrides, override))
    return list(by_id.values())


def _override(
    entry: object, loc: Loc, report: Report, report_validation: ReportValidation
) -> tuple[_OverrideSpec, Override] | None:
    try:
        spec = _OverrideSpec.model_validate(entry)
        return spec, Override(spec.person, _utc(spec.start), _utc(spec.end))
    except ValidationError as exc:
        report_validation(exc, loc)
    except ValueError as exc:
        report(loc, str(exc))
    return None


def _utc(value: datetime) -> datetime:
    # pydantic gives aware datetimes its own tzinfo class; the domain gets the standard library's.
    return value.astimezone(UTC)


def hold_back(person: Person, channels: Sequence[Channel]) -> Person:
    """The person with the methods on `channels` kept as fallbacks, used only after an earlier one fails."""
    kept = tuple(c for c in person.contacts if c.channel not in channels)
    held = tuple(c for c in person.contacts if c.channel in channels)
    return replace(person, contacts=kept, fallbacks=held)


def unreachable_warnings(
    rotations: Mapping[RotationId, Rotation], people: Mapping[PersonId, Person], at: datetime
) -> list[str]:
    """What `pager check-config` warns about: rotations with nobody on call, unreachable people."""
    warnings = [
        f"rotations.{r.id}: nobody is on call at {at:%Y-%m-%d %H:%M} UTC (it starts {r.start.isoformat()})"
        for r in rotations.values()
        if r.on_call(at) is None
    ]
    warnings += [
        f"people.{p.id}: has no contact method: pages to them reach nobody"
        for p in people.values()
        if not p.contacts and not p.fallbacks
    ]
    warnings += [
        f"people.{p.id}: has no phone number (sms, voice or phone): a page can neither call nor text them"
        for p in people.values()
        if (p.contacts or p.fallbacks) and not _has_phone(p)
    ]
    return warnings


def _has_phone(person: Person) -> bool:
    return any(c.channel in (Channel.SMS, Channel.VOICE) for c in (*person.contacts, *person.fallbacks))
