"""One contract for the heartbeat repository, run against the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.heartbeat_model import HeartbeatRecord, HeartbeatState
from domain.ports import UnitOfWork
from tests.fakes import T0

NewUow = Callable[[], UnitOfWork]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def record(
    name: str, deadline: float | None = 60, state: HeartbeatState = HeartbeatState.OK
) -> HeartbeatRecord:
    return HeartbeatRecord(name, state, T0, None if deadline is None else at(deadline))


def registered(new_uow: NewUow, *records: HeartbeatRecord) -> int:
    with new_uow() as uow:
        added = uow.heartbeats.register(list(records))
        uow.commit()
    return added


def test_a_registered_heartbeat_reads_back_with_every_field(new_uow: NewUow) -> None:
    stored = HeartbeatRecord(
        "backup", HeartbeatState.PAUSED, at(5), None, last_ping_at=at(3), paused_by="alice"
    )
    registered(new_uow, stored)

    with new_uow() as uow:
        found = uow.heartbeats.get_many(["backup", "never-seen"])

    assert found == {"backup": stored}
    assert all(
        t is None or t.utcoffset() == timedelta(0)
        for t in (found["backup"].since, found["backup"].last_ping_at)
    )


def test_registering_again_keeps_the_first_record(new_uow: NewUow) -> None:
    first = registered(new_uow, record("backup", deadline=60))

    again = registered(new_uow, record("backup", deadline=600), record("cron", deadline=600))

    with new_uow() as uow:
        found = uow.heartbeats.get_many(["backup"])
    assert (first, again) == (1, 1)
    assert found["backup"].deadline == at(60)


def test_a_saved_record_reads_back_changed(new_uow: NewUow) -> None:
    registered(new_uow, record("backup"))
    changed = HeartbeatRecord("backup", HeartbeatState.OVERDUE, at(61), None, last_ping_at=at(1))

    with new_uow() as uow:
        uow.heartbeats.save(changed)
        uow.commit()

    with new_uow() as uow:
        assert uow.heartbeats.get_many(["backup"]) == {"backup": changed}


def test_a_save_not_committed_is_not_stored(new_uow: NewUow) -> None:
    registered(new_uow, record("backup"))

    with new_uow() as uow:
        uow.heartbeats.save(record("backup", deadline=None, state=HeartbeatState.PAUSED))

    with new_uow() as uow:
        assert uow.heartbeats.get_many(["backup"])["backup"].state is HeartbeatState.OK


def test_overdue_lists_the_waiting_heartbeats_past_their_deadline_earliest_first(new_uow: NewUow) -> None:
    registered(
        new_uow,
        record("late", deadline=30),
        record("later", deadline=10),
        record("on-time", deadline=120),
        record("paused", deadline=None, state=HeartbeatState.PAUSED),
        record("expired", deadline=None, state=HeartbeatState.OVERDUE),
        record("unconfigured", deadline=5),
    )
    names = ["late", "later", "on-time", "paused", "expired"]

    with new_uow() as uow:
        due = uow.heartbeats.overdue(names, at(60), limit=10)
        first = uow.heartbeats.overdue(names, at(60), limit=1)

    assert (due, first) == (["later", "late"], ["later"])


def test_a_deadline_at_now_is_due(new_uow: NewUow) -> None:
    registered(new_uow, record("backup", deadline=60))

    with new_uow() as uow:
        assert uow.heartbeats.overdue(["backup"], at(60), limit=10) == ["backup"]


def test_pending_deadlines_are_those_of_the_waiting_named_heartbeats(new_uow: NewUow) -> None:
    registered(
        new_uow,
        record("backup", deadline=60),
        record("paused", deadline=None, state=HeartbeatState.PAUSED),
        record("unconfigured", deadline=5),
    )

    with new_uow() as uow:
        assert uow.heartbeats.pending_deadlines(["backup", "paused"]) == [at(60)]
