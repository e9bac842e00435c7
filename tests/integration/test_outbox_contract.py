"""The outbox contract, run against the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.delivery_ports import OutboxMessage
from domain.model import Channel, IncidentId, ServiceId
from domain.ports import UnitOfWork
from tests.fakes import T0

NewUow = Callable[[], UnitOfWork]
WINDOW = 1.0
LEASE = timedelta(seconds=60)
ALICE, BOB = "+33600000001", "+33600000002"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


FIRST_LEASE = at(1) + LEASE  # the lease of a claim made at at(1)


def message(
    incident: int = 1,
    address: str = ALICE,
    created: float = 0,
    level: int = 1,
    channel: Channel = Channel.SMS,
) -> OutboxMessage:
    return OutboxMessage(
        incident_id=IncidentId(incident),
        service_id=ServiceId("payments"),
        summary="payments is down",
        level=level,
        round=0,
        channel=channel,
        address=address,
        target=f"{channel}:{address}",
        created_at=at(created),
    )


def queue(new_uow: NewUow, *messages: OutboxMessage) -> int:
    with new_uow() as uow:
        added = uow.outbox.add(messages)
        uow.commit()
    return added


def claim(
    new_uow: NewUow, now: datetime, channel: Channel | None = None
) -> list[tuple[str, tuple[int, ...]]]:
    """Claim at `now`, leasing for a minute; each batch as (address, incident ids of its messages)."""
    with new_uow() as uow:
        batches = uow.outbox.claim(now, WINDOW, lease_until=now + LEASE, channel=channel)
        uow.commit()
    return [(b.address, tuple(c.message.incident_id for c in b.messages)) for b in batches]


def claim_ids(new_uow: NewUow, now: datetime) -> list[int]:
    with new_uow() as uow:
        batches = uow.outbox.claim(now, WINDOW, lease_until=now + LEASE)
        uow.commit()
    return [c.id for b in batches for c in b.messages]


def fail(new_uow: NewUow, ids: list[int], retry_at: datetime | None, lease: datetime = FIRST_LEASE) -> int:
    """Record a failed attempt of messages claimed at `at(1)` (or under `lease`)."""
    with new_uow() as uow:
        recorded = uow.outbox.mark_failed(ids, "provider said no", retry_at, lease)
        uow.commit()
    return recorded


def backlog(new_uow: NewUow) -> int:
    with new_uow() as uow:
        return uow.outbox.backlog()


def test_adding_counts_only_new_messages(new_uow: NewUow) -> None:
    first = queue(new_uow, message(1), message(1, BOB))

    again = queue(new_uow, message(1), message(1, level=2), message(1, created=5))

    assert (first, again) == (2, 1)
    assert backlog(new_uow) == 3


def test_the_same_message_twice_in_one_call_is_added_once(new_uow: NewUow) -> None:
    assert queue(new_uow, message(1), message(1)) == 1
    assert backlog(new_uow) == 1


def test_adding_nothing_adds_nothing(new_uow: NewUow) -> None:
    assert queue(new_uow) == 0


def test_messages_put_are_stored_at_commit_each_key_once(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    with new_uow() as uow:
        uow.outbox.put([message(1), message(1, BOB)])
        uow.outbox.put([message(2), message(2)])
        uow.commit()

    assert backlog(new_uow) == 3


def test_messages_put_are_gone_with_a_unit_that_does_not_commit(new_uow: NewUow) -> None:
    with new_uow() as uow:
        uow.outbox.put([message(1)])

    assert backlog(new_uow) == 0


def test_a_cancel_after_a_put_in_one_unit_cancels_what_was_put(new_uow: NewUow) -> None:
    with new_uow() as uow:
        uow.outbox.put([message(1), message(2, BOB)])
        uow.outbox.cancel(IncidentId(1))
        uow.commit()

    assert claim(new_uow, at(1)) == [(BOB, (2,))]


def test_what_was_put_is_read_back_in_the_same_unit(new_uow: NewUow) -> None:
    with new_uow() as uow:
        uow.outbox.put([message(1)])
        assert uow.outbox.backlog() == 1


def test_claimed_message_reads_back_whole(new_uow: NewUow) -> None:
    queue(new_uow, message(7))

    with new_uow() as uow:
        [batch] = uow.outbox.claim(at(1), WINDOW, lease_until=at(61))

    assert (batch.channel, batch.address) == (Channel.SMS, ALICE)
    assert [(c.message, c.attempts) for c in batch.messages] == [(message(7), 0)]
    assert batch.messages[0].message.created_at.utcoffset() == timedelta(0)


def test_an_address_is_not_claimed_before_its_oldest_message_is_a_window_old(new_uow: NewUow) -> None:
    queue(new_uow, message(1, created=0))

    assert claim(new_uow, at(0.5)) == []


def test_a_due_address_is_claimed_with_all_its_messages_as_one_batch(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE, created=0), message(2, ALICE, created=0.9), message(3, BOB, created=0.5))

    claimed = claim(new_uow, at(1))

    assert claimed == [(ALICE, (1, 2))]


def test_a_claimed_batch_is_not_claimed_again_while_leased(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    claim(new_uow, at(1))

    assert claim(new_uow, at(60)) == []
    assert backlog(new_uow) == 0


def test_a_batch_whose_lease_ran_out_is_claimed_again(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    claim(new_uow, at(1))

    assert claim(new_uow, at(61)) == [(ALICE, (1,))]


def test_a_sent_message_is_never_claimed_again(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    ids = claim_ids(new_uow, at(1))
    with new_uow() as uow:
        uow.outbox.mark_sent(ids, at(2))
        uow.commit()

    assert claim(new_uow, at(3600)) == []
    assert backlog(new_uow) == 0


def test_cancel_drops_every_unsent_message_of_that_incident_only(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE))
    claim(new_uow, at(1))
    queue(
        new_uow, message(1, BOB, created=2), message(1, BOB, level=2, created=2), message(2, BOB, created=2)
    )

    with new_uow() as uow:
        uow.outbox.cancel(IncidentId(1))
        uow.commit()

    # incident 1's three messages (one of them claimed, its lease long over) are gone; incident 2's is left
    assert claim(new_uow, at(61)) == [(BOB, (2,))]


def test_a_message_cancelled_in_flight_is_not_retried_when_its_send_fails(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    ids = claim_ids(new_uow, at(1))
    with new_uow() as uow:
        uow.outbox.cancel(IncidentId(1))
        uow.commit()

    fail(new_uow, ids, retry_at=at(2))

    assert claim(new_uow, at(3600)) == []
    assert backlog(new_uow) == 0


def test_a_failed_message_is_retried_only_from_its_retry_time(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    ids = claim_ids(new_uow, at(1))

    fail(new_uow, ids, retry_at=at(10))

    assert claim(new_uow, at(9)) == []
    with new_uow() as uow:
        [batch] = uow.outbox.claim(at(10), WINDOW, lease_until=at(70))
    assert [c.attempts for c in batch.messages] == [1]


def test_a_message_failed_for_good_is_never_claimed_again(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    ids = claim_ids(new_uow, at(1))

    fail(new_uow, ids, retry_at=None)

    assert claim(new_uow, at(3600)) == []
    assert backlog(new_uow) == 0


def test_nothing_is_due_when_nothing_is_pending(new_uow: NewUow) -> None:
    with new_uow() as uow:
        assert uow.outbox.next_due(WINDOW) is None


def test_a_new_message_is_due_a_window_after_it_was_queued(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE, created=5), message(2, BOB, created=3))

    with new_uow() as uow:
        assert uow.outbox.next_due(WINDOW) == at(4)


def test_a_failed_message_is_due_at_its_retry_time(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    fail(new_uow, claim_ids(new_uow, at(1)), retry_at=at(10))
    queue(new_uow, message(2, BOB, created=20))

    with new_uow() as uow:
        assert uow.outbox.next_due(WINDOW) == at(10)


def test_backlog_counts_messages_waiting_to_be_sent(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE), message(2, ALICE, level=2), message(3, BOB, created=0.5))
    claim(new_uow, at(1))

    assert backlog(new_uow) == 1


def test_a_claim_on_one_channel_leaves_the_others_pending(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE), message(1, "alice@example.com", channel=Channel.EMAIL))

    claimed = claim(new_uow, at(1), Channel.EMAIL)

    assert claimed == [("alice@example.com", (1,))]
    assert claim(new_uow, at(1), Channel.EMAIL) == []
    assert claim(new_uow, at(1), Channel.SMS) == [(ALICE, (1,))]


def test_next_due_of_a_channel_ignores_the_others(new_uow: NewUow) -> None:
    queue(
        new_uow,
        message(1, ALICE, created=2),
        message(1, "alice@example.com", created=5, channel=Channel.EMAIL),
    )

    with new_uow() as uow:
        assert uow.outbox.next_due(WINDOW, Channel.EMAIL) == at(6)
        assert uow.outbox.next_due(WINDOW, Channel.SLACK) is None


def test_a_lease_running_out_is_due(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    claim(new_uow, at(1))

    with new_uow() as uow:
        assert uow.outbox.next_due(WINDOW) == at(1) + LEASE


def test_renewing_extends_only_a_lease_still_held(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE), message(2, BOB))
    ids = claim_ids(new_uow, at(1))
    with new_uow() as uow:
        uow.outbox.cancel(IncidentId(2))
        uow.commit()

    with new_uow() as uow:
        renewed = uow.outbox.renew(ids, at(1) + LEASE, at(200))
        stale = uow.outbox.renew(ids, at(1) + LEASE, at(300))
        uow.commit()

    assert (renewed, stale) == ([ids[0]], [])
    assert claim(new_uow, at(199)) == []
    assert claim(new_uow, at(200)) == [(ALICE, (1,))]


def test_a_failure_reported_after_the_lease_ran_out_leaves_the_new_claim_alone(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    ids = claim_ids(new_uow, at(1))
    assert claim(new_uow, at(61)) == [(ALICE, (1,))]

    recorded = fail(new_uow, ids, retry_at=at(62))

    assert recorded == 0
    assert claim(new_uow, at(100)) == []
    assert fail(new_uow, ids, retry_at=at(200), lease=at(61) + LEASE) == 1


def test_a_step_is_reaching_while_a_message_is_pending_in_flight_or_sent(new_uow: NewUow) -> None:
    queue(new_uow, message(1, ALICE), message(1, BOB, created=5))
    alice = claim_ids(new_uow, at(1))

    def reaching() -> bool:
        with new_uow() as uow:
            return uow.outbox.reaching(IncidentId(1), 1, 0)

    fail(new_uow, alice, retry_at=None)
    still = reaching()
    bob = claim_ids(new_uow, at(6))
    fail(new_uow, bob, retry_at=None, lease=at(6) + LEASE)

    assert (still, reaching()) == (True, False)
    with new_uow() as uow:
        assert not uow.outbox.reaching(IncidentId(2), 1, 0)


def mark_fell_through(new_uow: NewUow, ids: list[int], now: datetime) -> list[int]:
    with new_uow() as uow:
        marked = uow.outbox.mark_fell_through(ids, now)
        uow.commit()
    return marked


def test_a_late_message_is_marked_fallen_through_once(new_uow: NewUow) -> None:
    queue(new_uow, message(1), message(2, address=BOB))
    ids = claim_ids(new_uow, at(1))

    first = mark_fell_through(new_uow, ids[:1], at(120))
    again = mark_fell_through(new_uow, ids, at(180))

    assert (first, again) == (ids[:1], ids[1:])


def test_a_message_marked_fallen_through_is_still_retried(new_uow: NewUow) -> None:
    queue(new_uow, message(1))
    ids = claim_ids(new_uow, at(1))
    fail(new_uow, ids, retry_at=at(130))

    mark_fell_through(new_uow, ids, at(120))

    assert claim(new_uow, at(130)) == [(ALICE, (1,))]
