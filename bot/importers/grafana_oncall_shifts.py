"""One Grafana OnCall on-call shift as a Pager layer: who takes turns, from when, how long, in which windows.

OnCall stores a shift's `start` as a wall-clock time in the shift's time zone (else the schedule's) and
repeats it by iCal rules in that zone (engine/apps/schedules/models/custom_on_call_shift.py): a rolling
shift gives each group of users one turn of `interval` x `frequency`, round and round; an event shorter than
its turn leaves the rest of the turn with nobody, which Pager writes as restriction windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.importers.plan import duration

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
# A month is no fixed length; Pager's shifts are, so a monthly turn becomes 30 days (and says so).
UNITS = {"hourly": timedelta(hours=1), "daily": DAY, "weekly": WEEK, "monthly": timedelta(days=30)}
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PAGER_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class Layer:
    """A shift made ready for the config, with what could not be carried exactly in `notes`."""

    shift_id: str
    level: int
    zone: str
    start: datetime
    turn: timedelta
    members: list[str]
    restrictions: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def entry(self, rotation_zone: ZoneInfo) -> dict[str, Any]:
        """The layer as the config writes it, its start in the rotation's time zone."""
        written: dict[str, Any] = {
            "members": self.members,
            "start": self.start.astimezone(rotation_zone).isoformat(),
            "shift": duration(self.turn),
        }
        if self.restrictions:
            written["restrictions"] = self.restrictions
        return written


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone OnCall names (None when unknown); OnCall itself reads "Etc/UTC" as "UTC"."""
    try:
        return ZoneInfo("UTC" if (name or "UTC").lower() == "etc/utc" else str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_start(shift: dict[str, Any], tz: ZoneInfo, key: str = "start") -> datetime:
    """A shift's naive `yyyy-MM-ddTHH:mm:ss` time, read in its time zone."""
    return datetime.fromisoformat(str(shift[key])).replace(tzinfo=None).replace(tzinfo=tz)


def wall_add(moment: datetime, length: timedelta) -> datetime:
    """`moment` plus `length` of wall-clock time in its own zone, as OnCall adds a duration to a start."""
    assert moment.tzinfo is not None
    return (moment.replace(tzinfo=None) + length).replace(tzinfo=moment.tzinfo)


def groups(shift: dict[str, Any]) -> list[list[str]]:
    """The user groups taking turns, from `start_rotation_from_user_index` on; a recurrent event's users are
    one group, on call together."""
    if shift.get("type") != "rolling_users":
        return [list(shift.get("users") or [])]
    rolling = [list(g) for g in shift.get("rolling_users") or []]
    first = int(shift.get("start_rotation_from_user_index") or 0) % max(len(rolling), 1)
    return rolling[first:] + rolling[:first]


def layer(shift: dict[str, Any], tz: ZoneInfo, members: list[str], out: ZoneInfo) -> Layer:
    """The layer of a recurring shift (`rolling_users` or `recurrent_event`) whose turns `members` take, its
    windows written in the rotation's time zone `out`."""
    unit = UNITS[str(shift["frequency"])]
    interval = int(shift.get("interval") or 1)
    length = timedelta(seconds=int(shift["duration"]))
    level = int(shift.get("level") or 0)
    found = Layer(str(shift["id"]), level, str(tz), _anchor(shift, tz), unit * interval, members)
    if str(tz) != str(out):
        found.notes.append(
            f"its time zone {tz} is not the rotation's ({out}): times follow {out}'s clock changes"
        )
    if shift["frequency"] == "monthly":
        found.notes.append("monthly turns approximated by 30 days: the handoff day drifts")
    if shift.get("by_month") or shift.get("by_monthday"):
        found.notes.append(
            "its months and days of the month are not carried: Pager windows repeat every week"
        )
    found.restrictions = _windows(shift, found, unit, interval, length, out)
    return found


def _anchor(shift: dict[str, Any], tz: ZoneInfo) -> datetime:
    """The first turn's start: OnCall moves `start` to a selected day, and turns begin at `rotation_start`."""
    start = local_start(shift, tz)
    days = [ICAL_DAYS.index(d) for d in shift.get("by_day") or [] if d in ICAL_DAYS]
    while days and start.weekday() not in days:
        start = wall_add(start, DAY)
    if shift.get("rotation_start"):
        begins = local_start(shift, tz, "rotation_start")
        turn = UNITS[str(shift["frequency"])] * int(shift.get("interval") or 1)
        while start < begins:
            start = wall_add(start, turn)
    return start


def _windows(
    shift: dict[str, Any], found: Layer, unit: timedelta, interval: int, length: timedelta, out: ZoneInfo
) -> list[dict[str, str]]:
    """Restriction windows for the part of each turn the shift's event covers, in `out`'s local time."""
    if shift.get("by_day"):
        return _day_windows(shift, found, unit, length, out)
    if length >= unit:
        if length > found.turn:
            found.notes.append(f"each event lasts {duration(length)}, longer than its turn: Pager hands over")
        elif length < found.turn:
            found.notes.append(
                f"on call {duration(length)} of every {duration(found.turn)}: Pager covers it all"
            )
        return []
    if interval > 1:
        found.notes.append(f"on call only in the first {duration(unit)} of each {duration(found.turn)} turn")
    if unit == DAY:
        begins, ends = found.start.astimezone(out), wall_add(found.start, length).astimezone(out)
        return [{"from": f"{begins:%H:%M}", "to": f"{ends:%H:%M}"}]
    if unit == WEEK:
        return [_weekly(found.start, length, out)]
    found.notes.append(f"on call {duration(length)} of every {shift['frequency']} turn: Pager covers it all")
    return []


def _day_windows(
    shift: dict[str, Any], found: Layer, unit: timedelta, length: timedelta, out: ZoneInfo
) -> list[dict[str, str]]:
    """One weekly window per selected day (`by_day`), from the event's time of day for its duration."""
    if unit not in (DAY, WEEK) or length >= WEEK:
        found.notes.append("its days of the week are not carried for this frequency: Pager covers every day")
        return []
    if shift.get("type") == "rolling_users" and unit == DAY:
        found.notes.append("turns pass only on the selected days in OnCall; in Pager every day is a turn")
    days = [ICAL_DAYS.index(d) for d in shift["by_day"] if d in ICAL_DAYS]
    first = found.start
    moments = [wall_add(first, DAY * ((day - first.weekday()) % 7)) for day in sorted(days)]
    return [_weekly(moment, length, out) for moment in moments]


def _weekly(local: datetime, length: timedelta, out: ZoneInfo) -> dict[str, str]:
    """The weekly window opening at `local` (a wall-clock time of the shift's zone) for `length`, in `out`."""
    begins, ends = local.astimezone(out), wall_add(local, length).astimezone(out)
    return {
        "from": f"{PAGER_DAYS[begins.weekday()]} {begins:%H:%M}",
        "to": f"{PAGER_DAYS[ends.weekday()]} {ends:%H:%M}",
    }
