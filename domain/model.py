"""The pager's vocabulary: people, targets, escalation policies, services and incidents, and their rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType

from domain.errors import (
    IncidentAlreadyResolved,
    InvalidPolicy,
    UnknownPerson,
    UnknownService,
)
from domain.events import (
    EscalationExhausted,
    Event,
    IncidentAcknowledged,
    IncidentResolved,
    LevelPaged,
)
from domain.heartbeat_model import HeartbeatCheck
from domain.rotation import Rotation

ServiceId = NewType("ServiceId", str)
PersonId = NewType("PersonId", str)
PolicyId = NewType("PolicyId", str)
RotationId = NewType("RotationId", str)
IncidentId = NewType("IncidentId", int)

DEFAULT_ACK_TIMEOUT = timedelta(minutes=15)
FIRST_LEVEL = 1  # levels count from 1 (see `Step`)


class Health(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"


class IncidentState(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    SLACK = "slack"
    VOICE = "voice"


class TargetKind(StrEnum):
    PERSON = "person"
    ROTATION = "rotation"
    SMS = "sms"
    EMAIL = "email"
    SLACK = "slack"
    VOICE = "voice"


@dataclass(frozen=True)
class Target:
    """Whom a level pages, written `kind:ref` in the config (`person:alice`, `slack:#ops`)."""

    kind: TargetKind
    ref: str

    @classmethod
    def parse(cls, text: str) -> Target:
        kind, sep, ref = text.partition(":")
        if not sep or not ref.strip():
            raise ValueError(f"target {text!r} is not of the form kind:ref")
        try:
            return cls(TargetKind(kind.strip()), ref.strip())
        except ValueError:
            kinds = ", ".join(k.value for k in TargetKind)
            raise ValueError(f"target {text!r} has unknown kind {kind!r} (expected one of {kinds})") from None

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass(frozen=True)
class Contact:
    """One address a message can be delivered to."""

    channel: Channel
    address: str


@dataclass(frozen=True)
class NotificationStep:
    """One step of a person's notification rules: page `contact` `delay` after a level paged them."""

    contact: Contact
    delay: timedelta


@dataclass(frozen=True)
class Person:
    id: PersonId
    name: str
    contacts: tuple[Contact, ...] = ()
    # Not paged at first: each is tried, in order, once an earlier method failed for good.
    fallbacks: tuple[Contact, ...] = ()
    # When given, these steps replace paging every contact at once (and the fallbacks): see notify_rules.py.
    notify: tuple[NotificationStep, ...] = ()


@dataclass(frozen=True)
class Level:
    targets: tuple[Target, ...]
    ack_timeout: timedelta = DEFAULT_ACK_TIMEOUT


@dataclass(frozen=True)
class EscalationPolicy:
    id: PolicyId
    levels: tuple[Level, ...]
    repeat: int = 0

    def level(self, number: int) -> Level:
        """The level numbered `number`, counting from 1 (see `Step`)."""
        return self.levels[number - 1]

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidPolicy(f"policy {self.id!r} has no level: it would never page anyone")
        for number, level in enumerate(self.levels, start=FIRST_LEVEL):
            if not level.targets:
                raise InvalidPolicy(f"policy {self.id!r} level {number} has no target")
            if level.ack_timeout <= timedelta(0):
                raise InvalidPolicy(f"policy {self.id!r} level {number} has a non-positive ack timeout")
        if self.repeat < 0:
            raise InvalidPolicy(f"policy {self.id!r} has a negative repeat count")


@dataclass(frozen=True)
class Service:
    id: ServiceId
    name: str
    policy: PolicyId


@dataclass(frozen=True)
class Catalog:
    """Everything the configuration declares: who can be paged, how, and for which service."""

    people: Mapping[PersonId, Person] = field(default_factory=dict)
    policies: Mapping[PolicyId, EscalationPolicy] = field(default_factory=dict)
    services: Mapping[ServiceId, Service] = field(default_factory=dict)
    rotations: Mapping[RotationId, Rotation] = field(default_factory=dict)
    heartbeats: Mapping[str, HeartbeatCheck] = field(default_factory=dict)

    def service(self, service_id: str) -> Service:
        try:
            return self.services[ServiceId(service_id)]
        except KeyError:
            raise UnknownService(service_id) from None

    def policy_for(self, service: Service) -> EscalationPolicy:
        return self.policies[service.policy]

    def person(self, person_id: str) -> Person:
        try:
            return self.people[PersonId(person_id)]
        except KeyError:
            raise UnknownPerson(person_id) from None


@dataclass(frozen=True)
class Step:
    """A position in the escalation: which level of which round.

    Levels count from 1, as people say them: level 1 is the policy's first level. Rounds count from 0, the
    first pass through the policy being round 0; people are shown round N as "round N+1", and round 0 not
    at all. Every level in the domain (incidents, steps, messages, events) counts this way.
    """

    level: int
    round: int


@dataclass
class Incident:
    """An episode of a service being unhealthy, from its first alert to its resolution.

    Methods change state and append the timeline events they cause to `events`; the repository
    persists those with the incident.
    """

    id: IncidentId
    service_id: ServiceId
    summary: str
    opened_at: datetime
    state: IncidentState = IncidentState.TRIGGERED
    level: int = FIRST_LEVEL
    round: int = 0
    ack_deadline: datetime | None = None
    acknowledged_by: PersonId | None = None
    acknowledged_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    exhausted: bool = False
    events: list[Event] = field(default_factory=list, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.state is not IncidentState.RESOLVED

    def record(self, event: Event) -> None:
        self.events.append(event)

    def page(self, step: Step, level: Level, now: datetime) -> None:
        """Move to `step`, whose level is being paged now, and start its acknowledgement clock."""
        self.level, self.round = step.level, step.round
        self.ack_deadline = now + level.ack_timeout
        self.record(
            LevelPaged(
                at=now,
                level=step.level,
                round=step.round,
                targets=tuple(str(t) for t in level.targets),
                ack_deadline=self.ack_deadline,
            )
        )

    def next_step(self, fired: Step, now: datetime, policy: EscalationPolicy) -> Step | None:
        """What an acknowledgement timeout for `fired` leads to; None when it changes nothing.

        A timeout that is stale (another step, or the incident is no longer waiting for an ack)
        or early (its deadline is still ahead) leads nowhere. After the last level the policy
        starts over while repeat rounds remain, then the escalation is recorded as exhausted.
        """
        if not self.is_due(fired, now):
            return None
        if fired.level < len(policy.levels):
            return Step(fired.level + 1, fired.round)
        if fired.round < policy.repeat:
            return Step(FIRST_LEVEL, fired.round + 1)
        self.give_up(now)
        return None

    def give_up(self, now: datetime, reason: str = "every level and round was paged") -> None:
        """Stop escalating, saying so on the timeline: an unacknowledged incident never goes quiet."""
        self.ack_deadline = None
        self.exhausted = True
        self.record(EscalationExhausted(at=now, level=self.level, round=self.round, reason=reason))

    def awaits(self, step: Step) -> bool:
        """Is the incident waiting for an acknowledgement of exactly this step?"""
        return (
            self.state is IncidentState.TRIGGERED
            and self.ack_deadline is not None
            and (step.level, step.round) == (self.level, self.round)
        )

    def is_due(self, fired: Step, now: datetime) -> bool:
        return self.awaits(fired) and self.ack_deadline is not None and now >= self.ack_deadline

    def acknowledge(self, by: PersonId, now: datetime) -> bool:
        """Stop the escalation. Returns False when it was already acknowledged (a no-op)."""
        if self.state is IncidentState.RESOLVED:
            raise IncidentAlreadyResolved(self.id)
        if self.state is IncidentState.ACKNOWLEDGED:
            return False
        self.state = IncidentState.ACKNOWLEDGED
        self.acknowledged_by, self.acknowledged_at = by, now
        self.ack_deadline = None
        self.record(IncidentAcknowledged(at=now, by=by))
        return True

    def resolve(self, by: str, now: datetime, reason: str = "") -> None:
        if self.state is IncidentState.RESOLVED:
            raise IncidentAlreadyResolved(self.id)
        self.state = IncidentState.RESOLVED
        self.resolved_by, self.resolved_at = by, now
        self.ack_deadline = None
        self.record(IncidentResolved(at=now, by=by, reason=reason))


@dataclass
class ServiceState:
    """The live side of a configured service: is it healthy, and which incident is open."""

    service_id: ServiceId
    open_incident: IncidentId | None = None

    @property
    def health(self) -> Health:
        return Health.HEALTHY if self.open_incident is None else Health.UNHEALTHY
