"""One contract for the repositories, run against the in-memory fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain import events
from domain.alerts import Alert
from domain.delivery_ports import OutboxMessage
from domain.model import Channel, Incident, IncidentId, IncidentState, PersonId, ServiceId, ServiceState, Step
from domain.ports import UnitOfWork
from tests.fakes import T0

NewUow = Callable[[], UnitOfWork]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def add_incident(new_uow: NewUow, service: str = "payments", **fields: Any) -> IncidentId:
    incident = Incident(IncidentId(0), ServiceId(service), f"{service} is down", opened_at=T0)
    for name, value in fields.items():
        setattr(incident, name, value)
    with new_uow() as uow:
        uow.incidents.add(incident)
        uow.commit()
    return incident.id


# Incidents


def test_added_incident_gets_an_id_and_reads_back_with_every_field(new_uow: NewUow) -> None:
    incident = Incident(
        IncidentId(0),
        ServiceId("payments"),
        "payments is down",
        opened_at=T0,
        state=IncidentState.RESOLVED,
        level=2,
        round=2,
        ack_deadline=at(600),
        acknowledged_by=PersonId("alice"),
        acknowledged_at=at(60),
        resolved_by="prometheus",
        resolved_at=at(120),
        exhausted=True,
    )
    with new_uow() as uow:
        uow.incidents.add(incident)
        uow.commit()

    with new_uow() as uow:
        found = uow.incidents.get(incident.id)

    assert incident.id > 0
    assert found == incident


def test_incident_datetimes_read_back_as_aware_utc(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow, ack_deadline=at(600), acknowledged_at=at(60), resolved_at=at(120))

    with new_uow() as uow:
        found = uow.incidents.get(incident_id)

    assert found is not None
    stamps = [found.opened_at, found.ack_deadline, found.acknowledged_at, found.resolved_at]
    assert all(s is not None and s.utcoffset() == timedelta(0) for s in stamps)


def test_each_added_incident_gets_its_own_id(new_uow: NewUow) -> None:
    first = add_incident(new_uow, "payments")
    second = add_incident(new_uow, "search")

    assert first != second


def test_unknown_incident_is_none(new_uow: NewUow) -> None:
    with new_uow() as uow:
        assert uow.incidents.get(IncidentId(999)) is None


def test_get_many_reads_back_the_known_incidents(new_uow: NewUow) -> None:
    first, second = add_incident(new_uow, "payments"), add_incident(new_uow, "search")

    with new_uow() as uow:
        found = uow.incidents.get_many([first, second, IncidentId(999)])

    assert {i: (x.id, x.service_id) for i, x in found.items()} == {
        first: (first, "payments"),
        second: (second, "search"),
    }


def test_saved_incident_reads_back_changed(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    with new_uow() as uow:
        incident = uow.incidents.get(incident_id)
        assert incident is not None
        incident.acknowledge(PersonId("bob"), at(30))
        uow.incidents.save(incident)
        uow.commit()

    with new_uow() as uow:
        found = uow.incidents.get(incident_id)

    assert found is not None
    assert (found.state, found.acknowledged_by, found.acknowledged_at) == (
        IncidentState.ACKNOWLEDGED,
        "bob",
        at(30),
    )


def test_within_one_unit_of_work_every_write_reads_back_before_the_commit(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    resolved = events.IncidentResolved(at=at(9), by="alice", reason="fixed")
    with new_uow() as uow:
        incident = uow.incidents.get(incident_id)
        assert incident is not None
        incident.resolve("alice", at(9), "fixed")
        uow.incidents.save(incident)
        uow.alerts.record(incident_id, Alert("disk", dedup_key="disk"), at(1))
        state = uow.services.lock(ServiceId("payments"))
        state.open_incident = incident_id
        uow.services.save(state)

        found = uow.incidents.get(incident_id)
        listed = uow.incidents.list([IncidentState.RESOLVED])
        timeline = uow.timeline.of(incident_id)
        firing = uow.alerts.is_firing(incident_id, "disk")
        states = uow.services.list()

    assert found is not None and found.state is IncidentState.RESOLVED
    assert [i.id for i in listed] == [incident_id]
    assert timeline == [resolved]
    assert firing
    assert states == [ServiceState(ServiceId("payments"), incident_id)]


def test_pending_events_are_appended_to_the_timeline_in_order_and_cleared(new_uow: NewUow) -> None:
    opened = events.IncidentOpened(at=T0, service_id="payments", summary="down")
    received = events.AlertReceived(at=T0, summary="down", status="firing", source="prometheus")
    acknowledged = events.IncidentAcknowledged(at=at(5), by="alice")
    incident = Incident(IncidentId(0), ServiceId("payments"), "down", opened_at=T0, events=[opened, received])
    with new_uow() as uow:
        uow.incidents.add(incident)
        assert incident.events == []
        incident.record(acknowledged)
        uow.incidents.save(incident)
        assert incident.events == []
        uow.commit()

    with new_uow() as uow:
        assert uow.timeline.of(incident.id) == [opened, received, acknowledged]


def test_every_kind_of_event_reads_back_equal(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow)
    recorded = [
        events.IncidentOpened(at=T0, service_id="payments", summary="down"),
        events.AlertReceived(
            at=T0, summary="down", status="firing", source="grafana", dedup_key="k", severity="p1"
        ),
        events.LevelPaged(
            at=at(1), level=1, round=0, targets=("person:alice", "slack:#ops"), ack_deadline=at(900)
        ),
        events.TargetUnreachable(at=at(1), target="rotation:primary", reason="nobody is on call"),
        events.NotificationSent(
            at=at(2), channel="sms", address="+336", target="person:alice", level=1, round=0
        ),
        events.NotificationFailed(
            at=at(3),
            channel="email",
            address="a@b",
            target="person:alice",
            level=1,
            round=0,
            reason="x",
            permanent=True,
        ),
        events.IncidentAcknowledged(at=at(4), by="alice"),
        events.IncidentResolved(at=at(5), by="alice", reason="fixed"),
        events.EscalationExhausted(at=at(6), level=2, round=1),
        events.FellThrough(
            at=at(7),
            person="alice",
            from_channel="sms",
            from_address="+336",
            to_channel="email",
            to_address="a@b",
            reason="Twilio 400 error 21211",
        ),
        events.DeliveryReported(at=at(8), channel="sms", address="+336", status="undelivered", error="30003"),
        events.LevelUnreached(at=at(9), level=1, round=0, reason="Twilio 400 error 21211"),
    ]
    assert {type(e) for e in recorded} == set(events.ALL.values())
    with new_uow() as uow:
        for event in recorded:
            uow.timeline.append(incident_id, event)
        uow.commit()

    with new_uow() as uow:
        assert uow.timeline.of(incident_id) == recorded


def test_timeline_of_an_incident_holds_only_its_events(new_uow: NewUow) -> None:
    mine, other = add_incident(new_uow, "payments"), add_incident(new_uow, "search")
    with new_uow() as uow:
        uow.timeline.append(other, events.IncidentAcknowledged(at=T0, by="bob"))
        uow.commit()

    with new_uow() as uow:
        assert uow.timeline.of(mine) == []


def test_overdue_lists_triggered_incidents_past_their_deadline_oldest_first(new_uow: NewUow) -> None:
    late = add_incident(new_uow, "a", ack_deadline=at(10), level=2, round=2)
    later = add_incident(new_uow, "b", ack_deadline=at(5))
    exactly_now = add_incident(new_uow, "c", ack_deadline=at(30))
    add_incident(new_uow, "d", ack_deadline=at(31))
    add_incident(new_uow, "e", ack_deadline=at(1), state=IncidentState.ACKNOWLEDGED)
    add_incident(new_uow, "f")

    with new_uow() as uow:
        overdue = uow.incidents.overdue(at(30), limit=10)

    assert overdue == [(later, Step(1, 0)), (late, Step(2, 2)), (exactly_now, Step(1, 0))]


def test_overdue_returns_at_most_limit(new_uow: NewUow) -> None:
    first = add_incident(new_uow, "a", ack_deadline=at(1))
    add_incident(new_uow, "b", ack_deadline=at(2))

    with new_uow() as uow:
        assert uow.incidents.overdue(at(30), limit=1) == [(first, Step(1, 0))]


def test_pending_deadlines_lists_every_triggered_incident_with_a_deadline(new_uow: NewUow) -> None:
    due = add_incident(new_uow, "a", ack_deadline=at(-5))
    future = add_incident(new_uow, "b", ack_deadline=at(600), level=2)
    add_incident(new_uow, "c", ack_deadline=at(1), state=IncidentState.ACKNOWLEDGED)
    add_incident(new_uow, "d", exhausted=True)

    with new_uow() as uow:
        pending = uow.incidents.pending_deadlines()

    assert sorted(pending) == sorted([(due, Step(1, 0), at(-5)), (future, Step(2, 0), at(600))])


def test_list_returns_incidents_in_the_given_states_newest_first(new_uow: NewUow) -> None:
    older = add_incident(new_uow, "a")
    add_incident(new_uow, "a", state=IncidentState.RESOLVED)
    acknowledged = add_incident(new_uow, "b", state=IncidentState.ACKNOWLEDGED)
    newer = add_incident(new_uow, "c")

    with new_uow() as uow:
        listed = uow.incidents.list([IncidentState.TRIGGERED, IncidentState.ACKNOWLEDGED])
        limited = uow.incidents.list([IncidentState.TRIGGERED], limit=1)

    assert [i.id for i in listed] == [newer, acknowledged, older]
    assert [i.id for i in limited] == [newer]


def test_list_before_an_id_returns_only_older_incidents(new_uow: NewUow) -> None:
    ids = [add_incident(new_uow, s, state=IncidentState.RESOLVED) for s in ("a", "b", "a", "c", "a")]
    every = list(IncidentState)

    with new_uow() as uow:
        page = uow.incidents.list(every, limit=2, before=ids[3])
        rest = uow.incidents.list(every, before=ids[1])
        none = uow.incidents.list(every, before=ids[0])
        beyond = uow.incidents.list(every, limit=1, before=IncidentId(2**63))

    assert ([i.id for i in page], [i.id for i in rest]) == ([ids[2], ids[1]], [ids[0]])
    assert (none, [i.id for i in beyond]) == ([], [ids[4]])


# Service states


def test_locking_an_unknown_service_creates_it_healthy(new_uow: NewUow) -> None:
    with new_uow() as uow:
        state = uow.services.lock(ServiceId("payments"))
        uow.commit()

    with new_uow() as uow:
        listed = uow.services.list()

    assert state == ServiceState(ServiceId("payments"), None)
    assert listed == [ServiceState(ServiceId("payments"), None)]


def test_saved_service_state_keeps_its_open_incident(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow, "search")
    with new_uow() as uow:
        uow.services.lock(ServiceId("payments"))
        state = uow.services.lock(ServiceId("search"))
        state.open_incident = incident_id
        uow.services.save(state)
        uow.commit()

    with new_uow() as uow:
        locked = uow.services.lock(ServiceId("search"))
        listed = uow.services.list()

    assert locked.open_incident == incident_id
    assert [(s.service_id, s.open_incident) for s in listed] == [("payments", None), ("search", incident_id)]


def test_locking_several_services_gives_each_state_once_in_id_order(new_uow: NewUow) -> None:
    incident_id = add_incident(new_uow, "search")
    with new_uow() as uow:
        state = uow.services.lock(ServiceId("search"))
        state.open_incident = incident_id
        uow.services.save(state)
        uow.commit()

    with new_uow() as uow:
        states = uow.services.lock_all([ServiceId("search"), ServiceId("payments"), ServiceId("search")])
        uow.commit()
    with new_uow() as uow:
        listed = uow.services.list()

    expected = [ServiceState(ServiceId("payments"), None), ServiceState(ServiceId("search"), incident_id)]
    assert states == expected
    assert listed == expected


# The unit of work


def test_leaving_the_unit_of_work_without_commit_stores_nothing(new_uow: NewUow) -> None:
    incident = Incident(IncidentId(0), ServiceId("payments"), "down", opened_at=T0)
    with new_uow() as uow:
        uow.services.lock(ServiceId("payments"))
        uow.incidents.add(incident)
        uow.alerts.record(incident.id, Alert("down"), T0)
        uow.timeline.append(incident.id, events.IncidentAcknowledged(at=T0, by="alice"))
        uow.outbox.add([_message(incident.id)])

    with new_uow() as uow:
        assert uow.services.list() == []
        assert uow.incidents.list(list(IncidentState)) == []
        assert uow.incidents.get(incident.id) is None
        assert uow.timeline.of(incident.id) == []
        assert uow.outbox.backlog() == 0


def test_an_error_in_the_unit_of_work_rolls_it_back(new_uow: NewUow) -> None:
    with pytest.raises(RuntimeError), new_uow() as uow:
        uow.services.lock(ServiceId("payments"))
        raise RuntimeError("boom")

    with new_uow() as uow:
        assert uow.services.list() == []


def test_work_after_a_commit_is_kept_only_when_committed_again(new_uow: NewUow) -> None:
    with new_uow() as uow:
        uow.services.lock(ServiceId("payments"))
        uow.commit()
        uow.services.lock(ServiceId("search"))

    with new_uow() as uow:
        assert [s.service_id for s in uow.services.list()] == ["payments"]


def _message(incident_id: IncidentId) -> OutboxMessage:
    return OutboxMessage(
        incident_id, ServiceId("payments"), "down", 1, 0, Channel.SMS, "+336", "sms:+336", T0
    )


def test_incidents_added_after_a_reservation_read_back_with_their_alerts_events_and_pages(
    new_uow: NewUow,
) -> None:
    opened = [Incident(IncidentId(0), ServiceId(s), f"{s} is down", opened_at=at(0)) for s in ("a", "b")]
    with new_uow() as uow:
        uow.incidents.reserve(2)
        for incident in opened:
            uow.incidents.add(incident)
            incident.record(events.IncidentOpened(at=at(0), service_id=incident.service_id, summary="down"))
            uow.alerts.record(incident.id, Alert("down"), at(0))
            incident.acknowledge(PersonId("alice"), at(1))
            uow.incidents.save(incident)
        state = uow.services.lock(ServiceId("a"))
        state.open_incident = opened[0].id
        uow.services.save(state)
        uow.commit()

    with new_uow() as uow:
        found = uow.incidents.get_many([i.id for i in opened])
        kinds = [type(e).__name__ for e in uow.timeline.of(opened[1].id)]
        firing = uow.alerts.firing_count(opened[1].id)
        open_of_a = uow.services.lock(ServiceId("a")).open_incident
    assert len({i.id for i in opened}) == 2
    assert [found[i.id].state for i in opened] == [IncidentState.ACKNOWLEDGED] * 2
    assert (kinds, firing, open_of_a) == (["IncidentOpened", "IncidentAcknowledged"], 1, opened[0].id)


def test_a_reservation_not_used_up_costs_nothing_but_ids(new_uow: NewUow) -> None:
    with new_uow() as uow:
        uow.incidents.reserve(5)
        uow.incidents.add(first := Incident(IncidentId(0), ServiceId("a"), "down", opened_at=at(0)))
        uow.commit()

    second = add_incident(new_uow, "b")

    assert second > first.id
    with new_uow() as uow:
        assert set(uow.incidents.get_many([first.id, second])) == {first.id, second}


def test_incidents_added_past_a_reservation_and_after_another_get_ids_of_their_own(new_uow: NewUow) -> None:
    added = [Incident(IncidentId(0), ServiceId(s), "down", opened_at=at(0)) for s in ("a", "b", "c", "d")]
    with new_uow() as uow:
        uow.incidents.reserve(1)
        uow.incidents.add(added[0])
        uow.incidents.add(added[1])  # past the reservation: the table gives its id
        uow.incidents.reserve(1)
        uow.incidents.add(added[2])
        uow.incidents.add(added[3])
        uow.commit()

    ids = [incident.id for incident in added]
    assert len(set(ids)) == 4
    with new_uow() as uow:
        assert {i: found.service_id for i, found in uow.incidents.get_many(ids).items()} == {
            incident.id: incident.service_id for incident in added
        }
