"""The port that keeps heartbeats' state, one of the unit of work's repositories (see `domain/ports.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.heartbeat_model import HeartbeatRecord


class HeartbeatRepository(Protocol):
    """Each heartbeat's state, last ping and deadline, by name. Changes are serialized by the lock of the
    heartbeat's service (`ServiceStateRepository.lock`), which the caller holds before `get_many` and
    `save`."""

    def register(self, records: Sequence[HeartbeatRecord]) -> int:
        """Store each record whose name has no row yet; rows already there are left as they are. Returns
        how many were stored. Raises store errors, maybe later. Safe to repeat, also from several
        processes at once: a name is stored once, by whoever came first."""
        ...

    def get_many(self, names: Sequence[str]) -> dict[str, HeartbeatRecord]:
        """The stored records of these names; names never stored are left out. A read (raises store
        errors): safe to retry."""
        ...

    def save(self, record: HeartbeatRecord) -> None:
        """Write the record's state over its row, which `register` stored before; written by the commit at
        the latest. Raises store errors, maybe later. Saving the same record again changes nothing."""
        ...

    def overdue(self, names: Sequence[str], now: datetime, limit: int) -> list[str]:
        """Up to `limit` of `names` that are OK with a deadline at or before `now`, earliest deadline
        first. No lock: the caller locks their services and reads them again. A read (raises store
        errors): safe to retry."""
        ...

    def pending_deadlines(self, names: Sequence[str]) -> list[datetime]:
        """The deadline of each of `names` that is OK (waiting for a ping). No lock. A read (raises store
        errors): safe to retry."""
        ...
