"""Grafana OnCall schedules as Pager rotations: recurring shifts as layers by priority, overrides on top.

OnCall's `level` is a shift's priority: where shifts overlap, the higher level is on call
(https://grafana.com/docs/oncall/latest/oncall-api-reference/on_call_shifts/). Pager lets the later layer win,
so layers are written from the lowest level up. Override shifts (and one-off events) become Pager overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.importers.api import ident, reading
from bot.importers.grafana_oncall_shifts import UNITS, Layer, groups, layer, local_start, wall_add, zone
from bot.importers.plan import Plan

RECURRING = ("rolling_users", "recurrent_event")
ONE_OFF = ("override", "single_event")
Item = dict[str, Any]


def add_rotations(
    plan: Plan, schedules: list[Item], shifts: list[Item], people: Mapping[str, str], now: datetime
) -> dict[str, str]:
    """A rotation for each schedule with a current recurring shift; returns schedule id -> rotation id."""
    rotations: dict[str, str] = {}
    for schedule in schedules:
        with reading(f"Grafana OnCall schedule {ident(schedule)}"):
            source = f"schedule {schedule['id']} ({schedule.get('name')})"
            if schedule.get("type") == "ical":
                plan.note(source, "iCal schedule not carried: its shifts are events of an outside calendar")
                continue
            if schedule.get("ical_url_overrides"):
                plan.note(source, "overrides from its iCal calendar (ical_url_overrides) not carried")
            found = _add_rotation(plan, source, schedule, _shifts_of(plan, schedule, shifts), people, now)
            if found is not None:
                rotations[str(schedule["id"])] = found
    return rotations


def _shifts_of(plan: Plan, schedule: Item, shifts: list[Item]) -> list[Item]:
    """The schedule's shifts (listed by it, or naming it) whose times can be read."""
    listed = set(schedule.get("shifts") or [])
    own = [s for s in shifts if s["id"] in listed or s.get("schedule") == schedule["id"]]
    for shift in own:
        if not _readable(shift):
            plan.note(
                f"shift {shift['id']} ({shift.get('name')})",
                "its start or duration is unreadable: not carried",
            )
    return [s for s in own if _readable(s)]


def _readable(shift: Item) -> bool:
    try:
        for key in ("start", "until", "rotation_start"):
            if key == "start" or shift.get(key):
                datetime.fromisoformat(str(shift[key]))
        return int(shift["duration"]) > 0
    except (KeyError, TypeError, ValueError):
        return False


def _add_rotation(
    plan: Plan, source: str, schedule: Item, shifts: list[Item], people: Mapping[str, str], now: datetime
) -> str | None:
    home = zone(schedule.get("time_zone")) or ZoneInfo("UTC")
    if zone(schedule.get("time_zone")) is None:
        plan.note(source, f"unknown time zone {schedule.get('time_zone')!r}: UTC used")
    current = [s for s in shifts if not _ended(s, home, now)]
    recurring = sorted(
        (s for s in current if s.get("type") in RECURRING), key=lambda s: int(s.get("level") or 0)
    )
    out = _rotation_zone(recurring, home)
    layers = [found for s in recurring if (found := _layer(plan, s, home, out, people)) is not None]
    one_offs = [s for s in current if s.get("type") in ONE_OFF]
    if not layers:
        extra = f", nor its {len(one_offs)} override(s)" if one_offs else ""
        plan.note(source, f"no current recurring shift Pager can follow: not carried{extra}")
        return None
    rotation_id = plan.new_id("rotations", str(schedule.get("name") or schedule["id"]))
    plan.rotations[rotation_id] = _entry(layers, out)
    plan.mapped(source, f"rotations.{rotation_id}")
    for found in layers:
        plan.mapped(f"shift {found.shift_id}", f"rotations.{rotation_id} (level {found.level})")
        for message in found.notes:
            plan.note(f"shift {found.shift_id}", message)
    _note_shared_levels(plan, source, layers)
    top = max(found.level for found in layers)
    for shift in one_offs:
        _add_override(plan, shift, rotation_id, home, people, top)
    return rotation_id


def _ended(shift: Item, home: ZoneInfo, now: datetime) -> bool:
    """Whether the shift is over: an event after its end, a recurring shift after its `until`."""
    tz = zone(shift.get("time_zone")) or home
    if shift.get("type") in ONE_OFF:
        return wall_add(local_start(shift, tz), timedelta(seconds=int(shift["duration"]))) <= now
    return bool(shift.get("until")) and local_start(shift, tz, "until") <= now


def _rotation_zone(shifts: list[Item], home: ZoneInfo) -> ZoneInfo:
    """The shifts' own time zone when they share one, else the schedule's."""
    zones = {str(zone(s.get("time_zone")) or home) for s in shifts}
    return ZoneInfo(zones.pop()) if len(zones) == 1 else home


def _layer(plan: Plan, shift: Item, home: ZoneInfo, out: ZoneInfo, people: Mapping[str, str]) -> Layer | None:
    source = f"shift {shift['id']} ({shift.get('name')})"
    tz = zone(shift.get("time_zone")) or home
    if shift.get("frequency") not in UNITS:
        plan.note(source, f"repeats {shift.get('frequency')!r}, which Pager cannot follow: not carried")
        return None
    members = _members(plan, source, shift, people)
    if not members:
        plan.note(source, "has nobody Pager knows: not carried")
        return None
    found = layer(shift, tz, members, out)
    if shift.get("until"):
        ends = local_start(shift, tz, "until")
        found.notes.append(
            f"ends {ends.isoformat()}, a Pager layer never does: remove it from the config then"
        )
    return found


def _members(plan: Plan, source: str, shift: Item, people: Mapping[str, str]) -> list[str]:
    """The first known user of each group taking turns, with a note for groups of several."""
    members: list[str] = []
    for group in groups(shift):
        known = [people[u] for u in group if u in people]
        if len(known) < len(group):
            plan.note(source, f"users {', '.join(u for u in group if u not in people)} unknown: left out")
        if len(known) > 1:
            plan.note(source, f"{', '.join(known)} are on call together; Pager puts {known[0]} on call alone")
        if known:
            members.append(known[0])
    if shift.get("type") == "recurrent_event":
        return members[:1]
    return members


def _entry(layers: list[Layer], out: ZoneInfo) -> dict[str, Any]:
    """The rotation as the config writes it: the single-layer form when there is one layer."""
    if len(layers) == 1:
        return {"timezone": str(out), **layers[0].entry(out)}
    return {"timezone": str(out), "layers": [found.entry(out) for found in layers]}


def _note_shared_levels(plan: Plan, source: str, layers: list[Layer]) -> None:
    levels: dict[int, list[str]] = {}
    for found in layers:
        levels.setdefault(found.level, []).append(found.shift_id)
    for level, ids in levels.items():
        if len(ids) > 1:
            message = (
                f"shifts {', '.join(ids)} share level {level}: where they overlap OnCall pages everyone on"
            )
            plan.note(source, f"{message} call, Pager only the last layer's ({ids[-1]})")


def _add_override(
    plan: Plan, shift: Item, rotation_id: str, home: ZoneInfo, people: Mapping[str, str], top: int
) -> None:
    """An override shift (or a one-off event) as a Pager override of the rotation."""
    source = f"shift {shift['id']} ({shift.get('type')})"
    tz = zone(shift.get("time_zone")) or home
    begins = local_start(shift, tz)
    ends = wall_add(begins, timedelta(seconds=int(shift["duration"])))
    known = [people[u] for u in shift.get("users") or [] if u in people]
    if not known:
        plan.note(source, "has nobody Pager knows: not carried")
        return
    if len(known) > 1:
        plan.note(source, f"{', '.join(known)} are on call together; Pager puts {known[0]} on call alone")
    if shift.get("type") == "single_event" and int(shift.get("level") or 0) < top:
        plan.note(source, "a one-off event becomes an override, which wins over layers of any level")
    entry = {"rotation": rotation_id, "person": known[0], "from": begins.isoformat(), "to": ends.isoformat()}
    plan.overrides.append(entry)
    plan.mapped(source, f"overrides[{len(plan.overrides) - 1}]")
