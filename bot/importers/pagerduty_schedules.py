"""PagerDuty schedules as Pager rotations: their layers, restrictions and coming overrides.

A PagerDuty layer (ScheduleLayer in github.com/PagerDuty/api-schema reference/REST/openapiv3.json) hands
turns of `rotation_turn_length_seconds` to its `users` in order, turn 0 beginning at `rotation_virtual_start`;
it has nobody before `start` nor after `end`, and its `restrictions` keep it to windows of the day or week, in
the schedule's `time_zone`. Its handoffs are taken to stay at the same local time across daylight-saving
changes (the web app sets them as a local time of day), as Pager's do.

A Pager layer has one `start`, both the anchor of turn 0 and the time before which it has nobody. A layer
that began is anchored at its virtual start (what happened before now does not matter); one that begins
later is anchored at its first handoff, the members turned so that the same person takes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.importers.api import Api, ident, reading
from bot.importers.plan import Plan, duration
from domain.rotation import Layer

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # PagerDuty's start_day_of_week 1 is Monday
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# How far ahead overrides are read (GET /schedules/{id}/overrides needs a since and an until).
OVERRIDE_HORIZON = timedelta(days=365)


def add_rotations(plan: Plan, api: Api, now: datetime, people: Mapping[str, str]) -> dict[str, str]:
    """Each schedule with a layer in effect now or later as a rotation, and its overrides not yet over;
    returns the Pager id of each PagerDuty schedule id carried over."""
    ids: dict[str, str] = {}
    for summary in api.items("/schedules", "schedules"):
        with reading(f"PagerDuty schedule {ident(summary)}"):
            _add_schedule(plan, api, summary, now, people, ids)
    return ids


def _add_schedule(
    plan: Plan,
    api: Api,
    summary: Mapping[str, Any],
    now: datetime,
    people: Mapping[str, str],
    ids: dict[str, str],
) -> None:
    schedule = api.get(f"/schedules/{summary['id']}")["schedule"]
    source = f"schedule {schedule['id']} ({schedule.get('name')})"
    rotation = _rotation(plan, source, schedule, now, people)
    if rotation is None:
        return
    rotation_id = plan.new_id("rotations", str(schedule.get("name") or schedule["id"]))
    plan.rotations[rotation_id] = rotation
    plan.mapped(f"PagerDuty {source}", f"rotations.{rotation_id}")
    ids[str(schedule["id"])] = rotation_id
    _add_overrides(plan, api, source, str(schedule["id"]), rotation_id, now, people)


def _rotation(
    plan: Plan, source: str, schedule: Mapping[str, Any], now: datetime, people: Mapping[str, str]
) -> dict[str, Any] | None:
    zone_name = str(schedule.get("time_zone"))
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        plan.note(source, f"time zone {zone_name!r} is not an IANA time zone: schedule not carried over")
        return None
    # GET lists the layer that wins first (the last one in the web app); Pager's last layer wins: hence the
    # reversal. Terraform's PagerDuty provider reverses them alike (pagerduty/resource_pagerduty_schedule.go,
    # flattenScheduleLayers), and so does PagerDuty/public-support-scripts pull request 60.
    live = [layer for layer in reversed(schedule.get("schedule_layers") or []) if not _ended(layer, now)]
    layers = [
        found
        for layer in live
        if (found := _layer(plan, f"{source} layer {layer.get('id')}", layer, zone, now, people)) is not None
    ]
    if not layers:
        plan.note(source, "no layer in effect now or later: schedule not carried over")
        return None
    if len(layers) == 1:
        return {"timezone": zone_name, **layers[0]}
    return {"timezone": zone_name, "layers": layers}


def _ended(layer: Mapping[str, Any], now: datetime) -> bool:
    return layer.get("end") is not None and _instant(layer["end"]) <= now


def _layer(
    plan: Plan, source: str, layer: Mapping[str, Any], zone: tzinfo, now: datetime, people: Mapping[str, str]
) -> dict[str, Any] | None:
    members = _members(plan, source, layer, people)
    turn = timedelta(seconds=int(layer.get("rotation_turn_length_seconds") or 0))
    if not members or turn <= timedelta(0):
        plan.note(source, "no member or no turn length: layer not carried over")
        return None
    start, members = _anchor(plan, source, layer, members, turn, zone, now)
    entry: dict[str, Any] = {
        "members": members,
        "start": start.astimezone(zone).isoformat(),
        "shift": duration(turn),
    }
    windows = [w for r in layer.get("restrictions") or [] if (w := _window(plan, source, r)) is not None]
    if windows:
        entry["restrictions"] = windows
    if layer.get("end") is not None:
        plan.note(
            source,
            f"ends {layer['end']} in PagerDuty; Pager's layers do not end: remove it from the config then",
        )
    return entry


def _members(plan: Plan, source: str, layer: Mapping[str, Any], people: Mapping[str, str]) -> list[str]:
    members = []
    for entry in layer.get("users") or []:
        user = entry.get("user") or {}
        if str(user.get("id")) in people:
            members.append(people[str(user["id"])])
        else:
            plan.note(
                source,
                f"user {user.get('id')} ({user.get('summary')}) is no user of the account: "
                "left out, which shifts the turns",
            )
    return members


def _anchor(
    plan: Plan,
    source: str,
    layer: Mapping[str, Any],
    members: list[str],
    turn: timedelta,
    zone: tzinfo,
    now: datetime,
) -> tuple[datetime, list[str]]:
    """The Pager layer's start and member order: the same turns as PagerDuty's from now on."""
    begins, virtual = _instant(layer["start"]), _instant(layer["rotation_virtual_start"])
    anchor = _earlier_by_cycles(virtual, turn * len(members), zone, not_after=min(begins, now))
    if begins <= now:
        return anchor, members
    reckoning = Layer(tuple(members), anchor, turn, zone)
    index = reckoning.shift_index(begins) or 0
    if reckoning.handoff(index) != begins:
        index += 1
        plan.note(
            source,
            f"starts {layer['start']} in PagerDuty, between two handoffs; in Pager at the next handoff, "
            f"{reckoning.handoff(index).astimezone(zone).isoformat()}",
        )
    turned = index % len(members)
    return reckoning.handoff(index), members[turned:] + members[:turned]


def _earlier_by_cycles(anchor: datetime, cycle: timedelta, zone: tzinfo, not_after: datetime) -> datetime:
    """`anchor` moved back by whole cycles of every member's turn (so the same person has each turn) until it
    is not after `not_after`; by local wall-clock time, as handoffs are reckoned."""
    if anchor <= not_after:
        return anchor
    cycles = math.ceil((anchor - not_after) / cycle)
    while (earlier := _local_shift(anchor, zone, -cycles * cycle)) > not_after:
        cycles += 1
    return earlier


def _local_shift(instant: datetime, zone: tzinfo, by: timedelta) -> datetime:
    local = instant.astimezone(zone).replace(tzinfo=None) + by
    return local.replace(tzinfo=zone).astimezone(instant.tzinfo)


def _window(plan: Plan, source: str, restriction: Mapping[str, Any]) -> dict[str, str] | None:
    """A daily or weekly restriction as a Pager window, to the minute (Pager's precision)."""
    kind = restriction.get("type")
    period = WEEK if kind == "weekly_restriction" else DAY
    hours, minutes, seconds = [
        *(int(part) for part in str(restriction["start_time_of_day"]).split(":")),
        0,
        0,
    ][:3]
    opens = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    length = timedelta(seconds=int(restriction["duration_seconds"]))
    if kind == "weekly_restriction":
        opens += (int(restriction.get("start_day_of_week") or 1) - 1) * DAY
    rounded_opens, rounded_length = _to_minute(opens), _to_minute(length)
    if (rounded_opens, rounded_length) != (opens, length):
        plan.note(source, f"{kind} from {restriction['start_time_of_day']} rounded to the minute")
    if not timedelta(0) < rounded_length < period:
        plan.note(source, f"{kind} of {length} restricts nothing Pager can write: left out")
        return None
    closes = (rounded_opens + rounded_length) % period
    return {"from": _moment(rounded_opens, period), "to": _moment(closes, period)}


def _to_minute(value: timedelta) -> timedelta:
    return timedelta(minutes=round(value.total_seconds() / 60))


def _moment(offset: timedelta, period: timedelta) -> str:
    """`offset` into the day ("09:00") or into the week from Monday 00:00 ("mon 09:00")."""
    offset %= period
    days, rest = divmod(int(offset.total_seconds()), 86400)
    clock = time(rest // 3600, rest % 3600 // 60).strftime("%H:%M")
    return clock if period == DAY else f"{DAYS[days]} {clock}"


def _add_overrides(
    plan: Plan,
    api: Api,
    source: str,
    schedule_id: str,
    rotation_id: str,
    now: datetime,
    people: Mapping[str, str],
) -> None:
    # overflow=true: overrides crossing the range's bounds come whole, not cut at since and until.
    params = {"since": now.isoformat(), "until": (now + OVERRIDE_HORIZON).isoformat(), "overflow": "true"}
    found: Sequence[Mapping[str, Any]] = api.get(f"/schedules/{schedule_id}/overrides", params)["overrides"]
    for override in sorted(found, key=lambda o: _instant(o["start"])):
        user = override.get("user") or {}
        if _instant(override["end"]) <= now:
            continue
        if str(user.get("id")) not in people:
            plan.note(
                f"{source} override {override.get('id')}", f"user {user.get('id')} is unknown: left out"
            )
            continue
        plan.overrides.append(
            {
                "rotation": rotation_id,
                "person": people[str(user["id"])],
                "from": override["start"],
                "to": override["end"],
            }
        )
        plan.mapped(
            f"PagerDuty {source} override {override.get('id')}", f"overrides[{len(plan.overrides) - 1}]"
        )


def _instant(text: object) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
