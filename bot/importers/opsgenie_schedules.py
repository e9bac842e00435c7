"""Opsgenie schedules into Pager rotations, and their overrides still to come.

Opsgenie notifies everyone on call in any of a schedule's rotations at once ("When a schedule is being used
to determine who is notified, all on-call users from different rotations are notified":
https://docs.opsgenie.com/docs/on-call-schedules-and-rotations), while a Pager rotation has one person at a
time. So each Opsgenie rotation becomes a Pager rotation of its own, `<schedule>-<rotation>`, and a rule
notifying a schedule becomes one level targeting all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.importers.api import Api, ident, reading
from bot.importers.opsgenie_data import People, ScheduleRotations, Schedules, instant, listed, who
from bot.importers.plan import Plan, duration

# Rotation types and length: https://docs.opsgenie.com/docs/schedule-rotation-api
_SHIFT = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
_DAYS = {
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
}  # fmt: skip
_NEXT_DAY = dict(zip(_DAYS.values(), [*list(_DAYS.values())[1:], "mon"], strict=True))


@dataclass
class _Schedule:
    """One schedule being imported, and what its parts need to know."""

    plan: Plan
    people: People
    now: datetime
    zone: str
    source: str
    found: ScheduleRotations


def import_schedules(api: Api, plan: Plan, people: People, now: datetime) -> Schedules:
    """Every enabled schedule's running rotations and coming overrides; returns what each schedule became."""
    schedules: Schedules = {}
    # Rotations come with the schedules only when asked for: https://docs.opsgenie.com/docs/schedule-api
    for schedule in listed(api, "/v2/schedules", {"expand": "rotation"}):
        with reading(f"Opsgenie schedule {ident(schedule, 'name')}"):
            schedule_id = str(schedule.get("id") or "")
            name = str(schedule.get("name") or schedule_id)
            source = f"schedule {name}"
            if schedule.get("enabled") is False:
                plan.note(source, "disabled in Opsgenie: not carried over")
                continue
            context = _Schedule(
                plan, people, now, _zone(plan, schedule, source), source, ScheduleRotations(name)
            )
            for index, rotation in enumerate(schedule.get("rotations") or [], start=1):
                _rotation(context, rotation, index)
            if not context.found.rotations:
                plan.note(source, "no running rotation with a user in it: not carried over")
                continue
            schedules[schedule_id] = context.found
            _overrides(api, context, schedule_id)
    return schedules


def _zone(plan: Plan, schedule: dict[str, Any], source: str) -> str:
    zone = str(schedule.get("timezone") or "")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        plan.note(source, f"time zone {zone!r} unknown here: UTC used instead")
        return "UTC"
    return zone


def _rotation(context: _Schedule, rotation: dict[str, Any], index: int) -> None:
    plan, found = context.plan, context.found
    name = str(rotation.get("name") or f"rotation {index}")
    where = f"{context.source} rotation {name}"
    start, end = instant(rotation.get("startDate")), instant(rotation.get("endDate"))
    if end is not None and end <= context.now:
        return  # over: nothing to carry
    kind, length = rotation.get("type"), rotation.get("length") or 1
    if start is None or kind not in _SHIFT or not isinstance(length, int) or length < 1:
        plan.note(where, f"start {rotation.get('startDate')!r} or type {kind!r} unreadable: not carried over")
        return
    members = _members(context, rotation.get("participants"), where)
    if not members:
        plan.note(where, "no user among its participants: not carried over")
        return
    if end is not None:
        plan.note(
            where, f"ends {end:%Y-%m-%d %H:%M} UTC in Opsgenie; the Pager rotation goes on: end it then"
        )
    spec: dict[str, Any] = {
        "timezone": context.zone,
        "members": members,
        "start": start.astimezone(ZoneInfo(context.zone)).isoformat(),
        "shift": duration(length * _SHIFT[str(kind)]),
    }
    restrictions = _restrictions(plan, rotation.get("timeRestriction"), where)
    if restrictions:
        spec["restrictions"] = restrictions
    rotation_id = plan.new_id("rotations", f"{found.name}-{name}")
    plan.rotations[rotation_id] = spec
    plan.mapped(f"Opsgenie {where}", f"rotations.{rotation_id}")
    found.rotations[str(rotation.get("id") or name)] = rotation_id
    found.by_name[name] = rotation_id


def _members(context: _Schedule, participants: Any, where: str) -> list[str]:
    members: list[str] = []
    for participant in participants if isinstance(participants, list) else []:
        kind = participant.get("type") if isinstance(participant, dict) else None
        person = context.people.get(str(participant.get("id"))) if kind == "user" else None
        if person is not None:
            members.append(person)
        elif kind == "user":
            context.plan.note(where, f"participant {who(participant)} is no user of the account: left out")
        else:
            context.plan.note(
                where,
                f"participant of type {kind} ({who(participant)}) left out: Pager turns go to people, "
                "so the others' turns come round sooner than in Opsgenie",
            )
    return members


def _restrictions(plan: Plan, restriction: Any, where: str) -> list[dict[str, str]]:
    """Opsgenie's time restriction as Pager windows: https://docs.opsgenie.com/docs/schedule-rotation-api"""
    if not isinstance(restriction, dict):
        return []
    kind = restriction.get("type")
    if kind == "time-of-day":
        windows, weekly = [restriction.get("restriction")], False
    elif kind == "weekday-and-time-of-day":
        windows, weekly = list(restriction.get("restrictions") or []), True
    else:
        plan.note(where, f"time restriction of type {kind!r} dropped: on call at every hour")
        return []
    written = []
    for window in windows:
        found = _window(window, weekly)
        if found is None or found["from"] == found["to"]:
            plan.note(where, f"time restriction {window} cannot be written in Pager: dropped")
        else:
            written.append(found)
    return written


def _window(window: Any, weekly: bool) -> dict[str, str] | None:
    if not isinstance(window, dict):
        return None
    start = _moment(window, "start", weekly)
    end = _moment(window, "end", weekly)
    return None if start is None or end is None else {"from": start, "to": end}


def _moment(window: dict[str, Any], edge: str, weekly: bool) -> str | None:
    hour, minute = window.get(f"{edge}Hour"), window.get(f"{edge}Min") or 0
    day = _DAYS.get(str(window.get(f"{edge}Day")).lower()) if weekly else ""
    if not isinstance(hour, int) or not isinstance(minute, int) or day is None:
        return None
    if (hour, minute) == (24, 0):  # the end of the day: midnight of the next one
        hour, day = 0, _NEXT_DAY[day] if day else ""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{day} {hour:02d}:{minute:02d}".strip()


def _overrides(api: Api, context: _Schedule, schedule_id: str) -> None:
    """Overrides ending after now, each on the rotations it covers (all of the schedule's when it names none):
    https://docs.opsgenie.com/docs/schedule-override-api"""
    plan = context.plan
    for override in listed(api, f"/v2/schedules/{schedule_id}/overrides"):
        start, end = instant(override.get("startDate")), instant(override.get("endDate"))
        if start is None or end is None or end <= context.now:
            continue
        where = f"{context.source} override {override.get('alias')}"
        user = override.get("user")
        taken_by = user.get("id") if isinstance(user, dict) and user.get("type") == "user" else None
        person = context.people.get(str(taken_by)) if taken_by else None
        if person is None:
            plan.note(where, f"taken by {who(user)}: not carried over, a Pager override names a person")
            continue
        for rotation_id in _overridden(context.found, override.get("rotations")):
            plan.mapped(f"Opsgenie {where}", f"overrides[{len(plan.overrides)}]")
            plan.overrides.append(
                {"rotation": rotation_id, "person": person, "from": start.isoformat(), "to": end.isoformat()}
            )


def _overridden(found: ScheduleRotations, rotations: Any) -> list[str]:
    if not isinstance(rotations, list) or not rotations:
        return list(found.rotations.values())
    named = [r for r in rotations if isinstance(r, dict)]
    picked = [found.rotations.get(str(r.get("id"))) or found.by_name.get(str(r.get("name"))) for r in named]
    return [rotation_id for rotation_id in picked if rotation_id is not None]
