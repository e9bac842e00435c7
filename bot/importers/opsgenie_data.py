"""Reading Opsgenie's documents: the `data` of an answer, its durations and dates, and what the import carries
from one part to the next (who each user became, which rotations each schedule became)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.importers.api import Api, ImportFailed
from bot.importers.plan import duration

# Duration.timeUnit, minutes when absent: https://docs.opsgenie.com/docs/escalation-api (delay)
_UNITS = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0, "miliseconds": 0.001}


@dataclass
class ScheduleRotations:
    """What an Opsgenie schedule became: one Pager rotation per Opsgenie rotation still running."""

    name: str
    rotations: dict[str, str] = field(default_factory=dict)  # Opsgenie rotation id -> Pager rotation id
    by_name: dict[str, str] = field(default_factory=dict)  # Opsgenie rotation name -> Pager rotation id

    def targets(self) -> list[str]:
        return [f"rotation:{rotation}" for rotation in self.rotations.values()]


People = dict[str, str]  # Opsgenie user id -> Pager person id
Schedules = dict[str, ScheduleRotations]  # Opsgenie schedule id -> its rotations
Policies = dict[str, str]  # Opsgenie escalation id -> Pager policy id


def listed(api: Api, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The `data` list of an endpoint Opsgenie answers in one piece (no paging)."""
    found = _data(api, path, params)
    if not isinstance(found, list):
        raise ImportFailed(f"GET {path}: expected a list under 'data'")
    return [item for item in found if isinstance(item, dict)]


def detail(api: Api, path: str) -> dict[str, Any]:
    """The `data` object of a GET of one entity."""
    found = _data(api, path, None)
    if not isinstance(found, dict):
        raise ImportFailed(f"GET {path}: expected an object under 'data'")
    return found


def _data(api: Api, path: str, params: dict[str, Any] | None) -> Any:
    document = api.get(path, params)
    return document.get("data") if isinstance(document, dict) else None


def span(value: Any) -> timedelta:
    """An Opsgenie Duration (`{"timeAmount": 5, "timeUnit": "minutes"}`) as a timedelta."""
    if not isinstance(value, dict):
        return timedelta(0)
    amount = value.get("timeAmount") or 0
    unit = _UNITS.get(str(value.get("timeUnit") or "minutes"), 60.0)
    return timedelta(seconds=float(amount) * unit)


def delay(value: timedelta) -> str:
    """A notification step's delay as the config writes it; zero is `0m`."""
    return duration(value) if value > timedelta(0) else "0m"


def instant(text: Any) -> datetime | None:
    """An Opsgenie date (`2017-02-06T05:00:00Z`) as an aware datetime; None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def who(user: Any) -> str:
    """How a note names an Opsgenie user reference."""
    if not isinstance(user, dict):
        return "?"
    return str(user.get("username") or user.get("name") or user.get("id") or user.get("type") or "?")
