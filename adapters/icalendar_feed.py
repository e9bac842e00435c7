"""On-call shifts as an iCalendar feed (RFC 5545, with RFC 7986's calendar name and refresh interval).

Times are written in UTC: each shift is an exact instant range already computed in the rotation's time zone,
so no VTIMEZONE is needed and a calendar app whose time-zone rules differ cannot shift a handoff. Each event's
UID is derived from the rotation, the person and the start, so a refetch updates the events it already has.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vDuration

from domain.calendar import CalendarShift
from domain.model import Person, PersonId

PRODID = "-//Pager//On-call calendar//EN"
# How often a calendar app should fetch the feed again (apps may poll less often).
REFRESH = timedelta(hours=1)
# Fixed for good: changing it would change every event's UID and duplicate every subscriber's events.
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:pager:oncall-shift")

Summary = Callable[[CalendarShift], str]


def shift_uid(shift: CalendarShift) -> str:
    """The same for the same rotation, person and start, whenever and in whichever feed it is served."""
    start = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return str(uuid.uuid5(_UID_NAMESPACE, "\n".join((shift.rotation, shift.person, start))))


def rotation_feed(
    rotation: str, shifts: Sequence[CalendarShift], people: Mapping[PersonId, Person], stamp: datetime
) -> bytes:
    """The calendar of one rotation: each event names who holds it."""

    def summary(shift: CalendarShift) -> str:
        return f"On call: {_name(shift.person, people)} ({rotation})"

    return _feed(f"On call: {rotation}", shifts, summary, stamp)


def person_feed(person: Person, shifts: Sequence[CalendarShift], stamp: datetime) -> bytes:
    """The calendar of one person: each event names the rotation they hold."""

    def summary(shift: CalendarShift) -> str:
        return f"On call: {shift.rotation}"

    return _feed(f"On call: {person.name}", shifts, summary, stamp)


def _feed(title: str, shifts: Sequence[CalendarShift], summary: Summary, stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", title)
    calendar.add("x-wr-calname", title)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for shift in shifts:
        calendar.add_component(_event(shift, summary(shift), stamp))
    feed: bytes = calendar.to_ical()
    return feed


def _event(shift: CalendarShift, summary: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", shift_uid(shift))
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(shift.start))
    event.add("dtend", _utc(shift.end))
    event.add("summary", summary)
    # Being on call is not being busy: the shift must not block the person's free/busy time.
    event.add("transp", "TRANSPARENT")
    return event


def _utc(at: datetime) -> datetime:
    # iCalendar times stop at the second; the last shift ends at `now` + 12 weeks, microseconds included.
    return at.astimezone(UTC).replace(microsecond=0)


def _name(person: str, people: Mapping[PersonId, Person]) -> str:
    found = people.get(PersonId(person))
    return found.name if found else person
