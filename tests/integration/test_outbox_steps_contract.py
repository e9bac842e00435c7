"""The outbox contract for notification steps (messages held back until they are owed), run against the
in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from domain.delivery_ports import OutboxMessage, StepMessage
from domain.model import Channel, IncidentId
from tests.integration.test_outbox_contract import ALICE, LEASE, WINDOW, NewUow, at, claim, message, queue


def step(number: int, owed: float, incident: int = 1, channel: Channel = Channel.SMS) -> OutboxMessage:
    """Step `number` of alice's rules, owed `owed` seconds after T0 (the level was paged at T0)."""
    return replace(message(incident, created=owed, channel=channel), step=number)


def key(number: int, incident: int = 1) -> StepMessage:
    return StepMessage(IncidentId(incident), 1, 0, Channel.SMS, ALICE, number)


def next_due(new_uow: NewUow) -> object:
    with new_uow() as uow:
        return uow.outbox.next_due(WINDOW)


def bring_forward(new_uow: NewUow, number: int, now: float) -> bool:
    with new_uow() as uow:
        brought = uow.outbox.bring_forward(key(number), at(now))
        uow.commit()
    return brought


def test_two_steps_to_one_address_are_two_messages(new_uow: NewUow) -> None:
    assert queue(new_uow, step(1, 0), step(2, 120), step(2, 120)) == 2


def test_a_step_is_not_claimed_before_it_is_owed(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    assert claim(new_uow, at(119)) == []


def test_a_step_is_claimed_a_bundle_window_after_it_is_owed(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    assert (claim(new_uow, at(120.5)), claim(new_uow, at(121))) == ([], [(ALICE, (1,))])


def test_a_held_back_step_is_due_a_bundle_window_after_it_is_owed(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    assert next_due(new_uow) == at(121)


def test_a_held_back_step_neither_holds_back_nor_joins_a_due_message_to_its_address(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120, incident=1), message(2, created=10))

    assert claim(new_uow, at(11)) == [(ALICE, (2,))]


def test_steps_of_two_incidents_owed_within_a_window_leave_together(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120, incident=1), step(2, 120.5, incident=2))

    assert (claim(new_uow, at(120.6)), claim(new_uow, at(121))) == ([], [(ALICE, (1, 2))])


def test_an_overdue_step_is_claimed_at_once(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    assert claim(new_uow, at(3600)) == [(ALICE, (1,))]


def test_a_cancel_drops_the_steps_still_held_back(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))
    with new_uow() as uow:
        uow.outbox.cancel(IncidentId(1))
        uow.commit()

    assert (claim(new_uow, at(3600)), next_due(new_uow)) == ([], None)


def test_a_step_held_back_counts_as_reaching_its_level(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    with new_uow() as uow:
        assert uow.outbox.reaching(IncidentId(1), 1, 0)


def test_a_step_brought_forward_is_owed_from_then(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    brought = bring_forward(new_uow, 2, 30)

    assert (brought, claim(new_uow, at(30.5)), claim(new_uow, at(31))) == (True, [], [(ALICE, (1,))])


def test_a_step_already_owed_is_not_brought_forward(new_uow: NewUow) -> None:
    queue(new_uow, step(1, 0))

    assert not bring_forward(new_uow, 1, 30)


def test_a_step_is_brought_forward_once(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    assert (bring_forward(new_uow, 2, 30), bring_forward(new_uow, 2, 31)) == (True, False)


def test_a_claimed_step_reads_back_whole(new_uow: NewUow) -> None:
    queue(new_uow, step(2, 120))

    with new_uow() as uow:
        [batch] = uow.outbox.claim(at(121), WINDOW, lease_until=at(121) + LEASE)

    assert [c.message for c in batch.messages] == [step(2, 120)]
