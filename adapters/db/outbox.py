"""The SQL outbox: notifications queued in the incident's transaction, claimed and leased by senders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, func, or_, select, tuple_, update

from adapters.db.repositories import insert_ignoring_duplicates
from adapters.db.tables import outbox
from domain.delivery_ports import Batch, ClaimedMessage, OutboxMessage, StepMessage
from domain.model import Channel, IncidentId, ServiceId

UNIQUE_KEY = ("incident_id", "level", "round", "channel", "address", "step")
# The namespace of the per-address advisory locks claimers take on PostgreSQL.
_ADDRESS_LOCKS = 0x6F7574


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SqlOutbox:
    """Messages put and cancellations are kept until the next other use of the outbox or the commit,
    then written in order: the puts in one executemany, the cancellations in one statement."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._unwritten: list[dict[str, object]] = []
        self._cancelled: set[IncidentId] = set()

    def put(self, messages: Sequence[OutboxMessage]) -> None:
        self._unwritten.extend(_message_values(m) for m in messages)

    def cancel(self, incident_id: IncidentId) -> None:
        """Cancel the incident's messages not sent yet, those in a sender's hands included."""
        self._cancelled.add(incident_id)

    def flush(self) -> None:
        if self._unwritten:
            rows, self._unwritten = self._unwritten, []
            self._conn.execute(insert_ignoring_duplicates(self._conn, outbox, UNIQUE_KEY), rows)
        if self._cancelled:
            cancelled, self._cancelled = sorted(self._cancelled), set()
            unsent = outbox.c.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value])
            query = (
                update(outbox)
                .where(outbox.c.incident_id.in_(cancelled), unsent)
                .values(status=OutboxStatus.CANCELLED.value, lease_until=None)
            )
            self._conn.execute(query)

    def add(self, messages: Sequence[OutboxMessage]) -> int:
        """Queue messages, skipping any whose (incident, level, round, channel, address, step) is known."""
        self.flush()
        if not messages:
            return 0
        insert = insert_ignoring_duplicates(self._conn, outbox, UNIQUE_KEY)
        # Count the returned ids: rowcount of INSERT ... ON CONFLICT DO NOTHING is not portable.
        query = insert.values([_message_values(m) for m in messages]).returning(outbox.c.id)
        return len(self._conn.execute(query).all())

    def bring_forward(self, key: StepMessage, now: datetime) -> bool:
        """A held-back step is owed from `now`: its bundling window and delivery deadline count from then."""
        self.flush()
        query = update(outbox).where(
            *(outbox.c[name] == value for name, value in _key_values(key).items()),
            outbox.c.status == OutboxStatus.PENDING.value,
            outbox.c.not_before > now,
        )
        return self._conn.execute(query.values(created_at=now, not_before=now)).rowcount > 0

    def claim(
        self, now: datetime, bundle_window_s: float, lease_until: datetime, channel: Channel | None = None
    ) -> list[Batch]:
        """Lease every ready message of each address whose oldest ready message is a window old."""
        self.flush()
        addresses = self._lock_addresses(now, channel)
        if not addresses:
            return []
        self._release_expired(now, addresses)
        rows = self._lock_due(now, now - timedelta(seconds=bundle_window_s), addresses)
        if not rows:
            return []
        self._conn.execute(
            update(outbox)
            .where(outbox.c.id.in_([row.id for row in rows]))
            .values(status=OutboxStatus.SENDING.value, lease_until=lease_until)
        )
        return _batches(rows)

    def renew(self, ids: Sequence[int], lease: datetime, until: datetime) -> list[int]:
        self.flush()
        query = (
            update(outbox)
            .where(outbox.c.id.in_(list(ids)), _held_under(lease))
            .values(lease_until=until)
            .returning(outbox.c.id)
        )
        return sorted(row.id for row in self._conn.execute(query))

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        self.flush()
        query = update(outbox).where(outbox.c.id.in_(list(ids)))
        self._conn.execute(query.values(status=OutboxStatus.SENT.value, sent_at=at, lease_until=None))

    def mark_failed(self, ids: Sequence[int], reason: str, retry_at: datetime | None, lease: datetime) -> int:
        self.flush()
        status = OutboxStatus.FAILED if retry_at is None else OutboxStatus.PENDING
        # Only under our own lease: a message cancelled meanwhile stays cancelled (no retry after an
        # ack), and one another sender re-claimed after our lease ran out is that sender's to record.
        query = update(outbox).where(outbox.c.id.in_(list(ids)), _held_under(lease))
        return self._conn.execute(
            query.values(
                status=status.value,
                attempts=outbox.c.attempts + 1,
                last_error=reason,
                not_before=retry_at,
                lease_until=None,
            )
        ).rowcount

    def mark_fell_through(self, ids: Sequence[int], at: datetime) -> list[int]:
        self.flush()
        query = (
            update(outbox)
            .where(outbox.c.id.in_(list(ids)), outbox.c.fell_through_at.is_(None))
            .values(fell_through_at=at)
            .returning(outbox.c.id)
        )
        return sorted(row.id for row in self._conn.execute(query))

    def next_due(self, bundle_window_s: float, channel: Channel | None = None) -> datetime | None:
        """The earliest end of a bundle window, retry time or lease expiry. A message held back until
        it is owed (a notification step) is due a bundle window after that; a retry, at its time."""
        self.flush()
        pending = outbox.c.status == OutboxStatus.PENDING.value
        sending = outbox.c.status == OutboxStatus.SENDING.value
        retry = outbox.c.not_before > outbox.c.created_at
        query = select(
            func.min(outbox.c.not_before).filter(pending, retry),
            func.min(outbox.c.created_at).filter(pending, or_(outbox.c.not_before.is_(None), ~retry)),
            func.min(outbox.c.lease_until).filter(sending),
        ).where(or_(pending, sending), *_on(channel))
        retry_at, oldest_new, lease_ends = self._conn.execute(query).one()
        window = timedelta(seconds=bundle_window_s)
        candidates = [retry_at, None if oldest_new is None else oldest_new + window, lease_ends]
        return min((c for c in candidates if c is not None), default=None)

    def reaching(self, incident_id: IncidentId, level: int, round: int) -> bool:
        self.flush()
        alive = [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.SENT.value]
        query = select(outbox.c.id).where(
            outbox.c.incident_id == incident_id,
            outbox.c.level == level,
            outbox.c.round == round,
            outbox.c.status.in_(alive),
        )
        return self._conn.execute(query.limit(1)).first() is not None

    def backlog(self) -> int:
        self.flush()
        query = select(func.count()).where(outbox.c.status == OutboxStatus.PENDING.value)
        return int(self._conn.execute(query).scalar_one())

    def _lock_addresses(self, now: datetime, channel: Channel | None) -> list[tuple[str, str]]:
        """The addresses with something to claim that this transaction now claims alone.

        Row locks alone would let two claimers split an address's messages into two pages, so on
        PostgreSQL each address is also locked (without waiting) until the transaction ends. On
        SQLite, BEGIN IMMEDIATE already made this transaction the only writer.
        """
        expired = and_(outbox.c.status == OutboxStatus.SENDING.value, outbox.c.lease_until <= now)
        candidates = (
            select(outbox.c.channel, outbox.c.address)
            .where(or_(_ready(now), expired), *_on(channel))
            .distinct()
        )
        if self._conn.dialect.name != "postgresql":
            return [(row.channel, row.address) for row in self._conn.execute(candidates)]
        found = candidates.subquery()
        key = func.hashtext(found.c.channel + ":" + found.c.address)
        # In the select list, not the WHERE clause, so it runs exactly once per address.
        locked = func.pg_try_advisory_xact_lock(_ADDRESS_LOCKS, key).label("locked")
        rows = self._conn.execute(select(found.c.channel, found.c.address, locked))
        return [(row.channel, row.address) for row in rows if row.locked]

    def _release_expired(self, now: datetime, addresses: list[tuple[str, str]]) -> None:
        expired = (
            select(outbox.c.id)
            .where(
                outbox.c.status == OutboxStatus.SENDING.value,
                outbox.c.lease_until <= now,
                _at(addresses),
            )
            # A row a late sender is marking right now is left to it; waiting could deadlock.
            .with_for_update(skip_locked=True)
        )
        self._conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(expired.scalar_subquery()))
            .values(status=OutboxStatus.PENDING.value, lease_until=None)
        )

    def _lock_due(
        self, now: datetime, oldest_before: datetime, addresses: list[tuple[str, str]]
    ) -> list[Row[Any]]:
        ready = and_(_ready(now), _at(addresses))
        due = (
            select(outbox.c.channel, outbox.c.address)
            .where(ready)
            .group_by(outbox.c.channel, outbox.c.address)
            .having(func.min(outbox.c.created_at) <= oldest_before)
        )
        query = (
            select(outbox)
            .where(ready, tuple_(outbox.c.channel, outbox.c.address).in_(due))
            .order_by(outbox.c.id)
            # A row another transaction is cancelling or marking is not ready for us anyway.
            .with_for_update(skip_locked=True)
        )
        return list(self._conn.execute(query))


def _on(channel: Channel | None) -> list[ColumnElement[bool]]:
    return [] if channel is None else [outbox.c.channel == channel.value]


def _held_under(lease: datetime) -> ColumnElement[bool]:
    return and_(outbox.c.status == OutboxStatus.SENDING.value, outbox.c.lease_until == lease)


def _at(addresses: list[tuple[str, str]]) -> ColumnElement[bool]:
    return tuple_(outbox.c.channel, outbox.c.address).in_(addresses)


def _ready(now: datetime) -> ColumnElement[bool]:
    waited = or_(outbox.c.not_before.is_(None), outbox.c.not_before <= now)
    return and_(outbox.c.status == OutboxStatus.PENDING.value, waited)


def _batches(rows: Sequence[Row[Any]]) -> list[Batch]:
    groups: dict[tuple[Channel, str], list[ClaimedMessage]] = {}
    for row in rows:
        claimed = ClaimedMessage(row.id, _message(row), row.attempts)
        groups.setdefault((claimed.message.channel, claimed.message.address), []).append(claimed)
    return [Batch(channel, address, tuple(messages)) for (channel, address), messages in groups.items()]


def _message_values(message: OutboxMessage) -> dict[str, object]:
    return {
        "incident_id": message.incident_id,
        "service_id": message.service_id,
        "summary": message.summary,
        "level": message.level,
        "round": message.round,
        "channel": message.channel.value,
        "address": message.address,
        "target": message.target,
        "created_at": message.created_at,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "step": message.step,
        # A step is held back until it is owed; other messages are owed at once.
        "not_before": message.created_at if message.step else None,
    }


def _key_values(key: StepMessage) -> dict[str, object]:
    return {
        "incident_id": key.incident_id,
        "level": key.level,
        "round": key.round,
        "channel": key.channel.value,
        "address": key.address,
        "step": key.step,
    }


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        incident_id=IncidentId(row.incident_id),
        service_id=ServiceId(row.service_id),
        summary=row.summary,
        level=row.level,
        round=row.round,
        channel=Channel(row.channel),
        address=row.address,
        target=row.target,
        created_at=row.created_at,
        step=row.step,
    )
