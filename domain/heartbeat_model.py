"""Heartbeat checks (dead man's switches): what the config declares, and what the pager keeps of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.model import ServiceId

HEARTBEAT_SOURCE = "heartbeat"  # the alerts' source, and who resolves their incidents


class HeartbeatState(StrEnum):
    OK = "ok"  # waiting for the next ping before `deadline`
    OVERDUE = "overdue"  # the deadline passed without a ping: an alert fired
    PAUSED = "paused"  # never pages until resumed


@dataclass(frozen=True)
class HeartbeatCheck:
    """A heartbeat of the config: a ping is expected every `interval`, and `grace` more is tolerated."""

    name: str
    service: ServiceId
    interval: timedelta
    grace: timedelta
    summary: str

    @property
    def dedup_key(self) -> str:
        return f"heartbeat:{self.name}"

    @property
    def allowance(self) -> timedelta:
        """How long after a ping (or the first sight, or a resume) the next one must come."""
        return self.interval + self.grace


@dataclass
class HeartbeatRecord:
    """What the pager keeps of one heartbeat: its state since when, its last ping and its deadline.

    The deadline is a column: the engine expires whatever is OK with a deadline at or before now.
    """

    name: str
    state: HeartbeatState
    since: datetime  # when the current state began (the first sight, for a new heartbeat)
    deadline: datetime | None  # set only while OK
    last_ping_at: datetime | None = None
    paused_by: str | None = None

    @classmethod
    def first_seen(cls, check: HeartbeatCheck, now: datetime) -> HeartbeatRecord:
        """A heartbeat the pager sees for the first time: its clock starts now."""
        return cls(check.name, HeartbeatState.OK, now, now + check.allowance)

    def is_due(self, now: datetime) -> bool:
        return self.state is HeartbeatState.OK and self.deadline is not None and self.deadline <= now

    def state_at(self, now: datetime) -> HeartbeatState:
        """The state as people should see it: a deadline passed but not yet handled is overdue already."""
        return HeartbeatState.OVERDUE if self.is_due(now) else self.state

    def pinged(self, check: HeartbeatCheck, now: datetime) -> bool:
        """A ping came: the clock starts again, unless the heartbeat is paused (it stays paused). Always
        a change (the last ping's time)."""
        self.last_ping_at = now
        if self.state is not HeartbeatState.PAUSED:
            if self.state is HeartbeatState.OVERDUE:
                self.since = now
            self.state, self.deadline = HeartbeatState.OK, now + check.allowance
        return True

    def expire(self, now: datetime) -> None:
        self.state, self.since, self.deadline = HeartbeatState.OVERDUE, now, None

    def pause(self, by: str, now: datetime) -> bool:
        """Stop watching; False when already paused (a no-op)."""
        if self.state is HeartbeatState.PAUSED:
            return False
        self.state, self.since, self.deadline, self.paused_by = HeartbeatState.PAUSED, now, None, by
        return True

    def resume(self, check: HeartbeatCheck, now: datetime) -> bool:
        """Watch again, the clock starting now; False when it was not paused (a no-op)."""
        if self.state is not HeartbeatState.PAUSED:
            return False
        self.state, self.since, self.deadline = HeartbeatState.OK, now, now + check.allowance
        self.paused_by = None
        return True
