"""The config's `maintenance:` list: planned windows, each checked and reported at its path."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from domain.maintenance import CONFIG_AUTHOR, MaintenanceWindow, WindowId
from domain.model import ServiceId

Loc = tuple[str | int, ...]
Report = Callable[[Loc, str], None]
ReportValidation = Callable[[ValidationError, Loc], None]


class _WindowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    services: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    start: Annotated[AwareDatetime, Field(alias="from")]
    end: Annotated[AwareDatetime, Field(alias="to")]
    reason: str = ""


def maintenance_windows(
    raw: Sequence[object], services: Mapping[str, object], report: Report, validation: ReportValidation
) -> tuple[MaintenanceWindow, ...]:
    """The windows of the `maintenance:` section that pass their checks, in the order written."""
    found: list[MaintenanceWindow] = []
    for index, entry in enumerate(raw):
        loc: Loc = ("maintenance", index)
        try:
            spec = _WindowSpec.model_validate(entry)
        except ValidationError as exc:
            validation(exc, loc)
            continue
        unknown = [(i, s) for i, s in enumerate(spec.services) if s not in services]
        for i, service in unknown:
            report((*loc, "services", i), f"unknown service {service!r}")
        if spec.end <= spec.start:
            report((*loc, "to"), "must be after `from`")
        elif not unknown:
            found.append(_window(spec))
    return tuple(found)


def _window(spec: _WindowSpec) -> MaintenanceWindow:
    # pydantic gives aware datetimes its own tzinfo class; the domain gets the standard library's.
    services = tuple(sorted({ServiceId(s) for s in spec.services}))
    start, end = spec.start.astimezone(UTC), spec.end.astimezone(UTC)
    return MaintenanceWindow(WindowId(0), services, start, end, spec.reason, created_by=CONFIG_AUTHOR)
