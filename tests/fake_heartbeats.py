"""The in-memory HeartbeatRepository of `tests.fakes.InMemoryUnitOfWork`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain.heartbeat_model import HeartbeatRecord, HeartbeatState


class MemoryHeartbeats:
    def __init__(self, records: dict[str, HeartbeatRecord]) -> None:
        self.records = records  # the unit of work's copy of the store's

    def register(self, records: Sequence[HeartbeatRecord]) -> int:
        new = [r for r in records if r.name not in self.records]
        for record in new:
            self.records[record.name] = replace(record)
        return len(new)

    def get_many(self, names: Sequence[str]) -> dict[str, HeartbeatRecord]:
        return {name: replace(self.records[name]) for name in names if name in self.records}

    def save(self, record: HeartbeatRecord) -> None:
        if record.name in self.records:
            self.records[record.name] = replace(record)

    def overdue(self, names: Sequence[str], now: datetime, limit: int) -> list[str]:
        due = [r for r in self._waiting(names) if r.deadline is not None and r.deadline <= now]
        return [r.name for r in sorted(due, key=lambda r: (r.deadline, r.name))][:limit]

    def pending_deadlines(self, names: Sequence[str]) -> list[datetime]:
        return [r.deadline for r in self._waiting(names) if r.deadline is not None]

    def _waiting(self, names: Sequence[str]) -> list[HeartbeatRecord]:
        wanted = set(names)
        return [r for r in self.records.values() if r.name in wanted and r.state is HeartbeatState.OK]
