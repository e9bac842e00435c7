"""The iCalendar feeds as a calendar app reads them: parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from adapters.icalendar_feed import person_feed, rotation_feed, shift_uid
from domain.calendar import CalendarShift, person_calendar, rotation_calendar
from domain.model import Person, PersonId
from domain.rotation import Override, Rotation

PARIS = ZoneInfo("Europe/Paris")
DAY = timedelta(days=1)
ALICE = Person(PersonId("alice"), "Alice Martin")
PEOPLE = {ALICE.id: ALICE, PersonId("bob"): Person(PersonId("bob"), "Bob")}
STAMP = datetime(2026, 3, 20, 12, 30, 15, 123456, tzinfo=UTC)
DAILY = Rotation.single("primary", ("alice", "bob"), datetime(2026, 1, 5, 9, tzinfo=PARIS), DAY, PARIS)


def events(feed: bytes) -> list[Event]:
    return list(Calendar.from_ical(feed).walk("VEVENT"))


def shift(start: datetime, person: str = "alice", rotation: str = "primary") -> CalendarShift:
    return CalendarShift(rotation, person, start, start + DAY)


def test_each_shift_is_an_event_with_its_start_end_and_holder() -> None:
    shifts = rotation_calendar(DAILY, STAMP)

    found = events(rotation_feed("primary", shifts, PEOPLE, STAMP))

    assert [(e.decoded("dtstart"), e.decoded("dtend")) for e in found] == [
        (s.start, s.end.replace(microsecond=0)) for s in shifts
    ]
    assert str(found[0]["summary"]) == "On call: Alice Martin (primary)"  # 2026-03-20 is alice's day


def test_a_persons_events_name_the_rotation_they_hold() -> None:
    feed = person_feed(ALICE, [shift(STAMP, rotation="primary"), shift(STAMP + DAY, rotation="dba")], STAMP)

    assert [str(e["summary"]) for e in events(feed)] == ["On call: primary", "On call: dba"]


def test_events_start_at_nine_in_paris_on_both_sides_of_each_clock_change() -> None:
    for now in (datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC)):
        found = events(rotation_feed("primary", rotation_calendar(DAILY, now), PEOPLE, now))[1:10]

        local = [e.decoded("dtstart").astimezone(PARIS) for e in found]
        assert {(t.hour, t.minute) for t in local} == {(9, 0)}
        assert len({t.utcoffset() for t in local}) == 2


def test_times_are_written_in_utc() -> None:
    feed = rotation_feed("primary", [shift(datetime(2026, 3, 30, 9, tzinfo=PARIS))], PEOPLE, STAMP)

    assert b"DTSTART:20260330T070000Z" in feed
    assert b"VTIMEZONE" not in feed


def test_the_calendar_is_named_and_asks_to_be_refreshed_hourly() -> None:
    calendar = Calendar.from_ical(person_feed(ALICE, [], STAMP))

    assert str(calendar["x-wr-calname"]) == "On call: Alice Martin"
    assert str(calendar["name"]) == "On call: Alice Martin"
    assert calendar.decoded("refresh-interval") == timedelta(hours=1)
    assert str(calendar["x-published-ttl"]) == "PT1H"
    assert (str(calendar["version"]), str(calendar["method"])) == ("2.0", "PUBLISH")


def test_every_event_is_stamped_with_when_the_feed_was_made() -> None:
    found = events(person_feed(ALICE, [shift(STAMP)], STAMP))

    assert found[0].decoded("dtstamp") == STAMP.replace(microsecond=0)


def test_a_shift_has_the_same_uid_in_every_fetch_and_in_both_feeds() -> None:
    override = Override("alice", datetime(2026, 3, 21, 12, tzinfo=UTC), datetime(2026, 3, 21, 15, tzinfo=UTC))
    rotation = Rotation.single(
        "primary", ("bob",), datetime(2026, 1, 5, 9, tzinfo=PARIS), DAY, PARIS, [override]
    )
    later = STAMP + timedelta(hours=3)

    in_rotation = events(rotation_feed("primary", rotation_calendar(rotation, STAMP), PEOPLE, STAMP))
    in_person = events(person_feed(ALICE, person_calendar([rotation], "alice", later), later))

    assert [str(e["uid"]) for e in in_person] == [str(in_rotation[1]["uid"])]
    assert in_person[0].decoded("dtstart") == override.start


def test_shifts_that_differ_in_start_person_or_rotation_have_different_uids() -> None:
    shifts = [shift(STAMP), shift(STAMP + DAY), shift(STAMP, person="bob"), shift(STAMP, rotation="dba")]

    assert len({shift_uid(s) for s in shifts}) == 4


def test_a_shift_under_way_keeps_its_uid_as_time_passes() -> None:
    first = events(rotation_feed("primary", rotation_calendar(DAILY, STAMP), PEOPLE, STAMP))
    second = events(
        rotation_feed("primary", rotation_calendar(DAILY, STAMP + timedelta(hours=2)), PEOPLE, STAMP)
    )

    assert [str(e["uid"]) for e in first[:5]] == [str(e["uid"]) for e in second[:5]]


def test_shifts_are_shown_as_free_time() -> None:
    assert str(events(person_feed(ALICE, [shift(STAMP)], STAMP))[0]["transp"]) == "TRANSPARENT"
