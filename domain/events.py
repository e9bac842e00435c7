"""What happened to an incident: each event is one line of its timeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Event:
    at: datetime

    @property
    def kind(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class IncidentOpened(Event):
    service_id: str
    summary: str


@dataclass(frozen=True)
class AlertReceived(Event):
    summary: str
    status: str
    source: str
    dedup_key: str | None = None
    severity: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class LevelPaged(Event):
    """A level of the policy was paged (level counts from 1; round counts from 0)."""

    level: int
    round: int
    targets: tuple[str, ...]
    ack_deadline: datetime


@dataclass(frozen=True)
class TargetUnreachable(Event):
    """A target resolved to nobody and nothing: it is said here rather than silently skipped."""

    target: str
    reason: str


@dataclass(frozen=True)
class NotificationSent(Event):
    channel: str
    address: str
    target: str
    level: int
    round: int


@dataclass(frozen=True)
class NotificationFailed(Event):
    channel: str
    address: str
    target: str
    level: int
    round: int
    reason: str
    permanent: bool


@dataclass(frozen=True)
class FellThrough(Event):
    """A page could not reach one contact method of a person, so their next method is paged."""

    person: str
    from_channel: str
    from_address: str
    to_channel: str
    to_address: str
    reason: str


@dataclass(frozen=True)
class DeliveryReported(Event):
    """The provider said what became of a message it had accepted (delivered, undelivered, failed)."""

    channel: str
    address: str
    status: str
    error: str | None = None


@dataclass(frozen=True)
class LevelUnreached(Event):
    """Every message of a level failed for good and nothing was left to fall through to.

    Nobody was reached; the level's acknowledgement deadline still stands, so the next level is
    paged when it passes, as if the level had been paged and ignored.
    """

    level: int
    round: int
    reason: str


@dataclass(frozen=True)
class IncidentAcknowledged(Event):
    by: str


@dataclass(frozen=True)
class IncidentResolved(Event):
    by: str
    reason: str = ""


@dataclass(frozen=True)
class EscalationExhausted(Event):
    level: int
    round: int
    reason: str = "every level and round was paged"


ALL: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        IncidentOpened,
        AlertReceived,
        LevelPaged,
        TargetUnreachable,
        NotificationSent,
        NotificationFailed,
        IncidentAcknowledged,
        IncidentResolved,
        EscalationExhausted,
        FellThrough,
        DeliveryReported,
        LevelUnreached,
    )
}
