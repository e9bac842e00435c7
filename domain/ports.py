"""The pager's ports for time, storage and wake-ups; `delivery_ports` and `observing_ports` hold the rest.

Each method says what it takes and returns, what it raises and whether repeating it is safe. "Raises store
errors" means the store's own errors (the database away, a lock wait given up) and nothing else; a write's
may surface later, at a read of the same unit of work or at its commit. `UnitOfWork` says what follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.alerts import Alert, AlertEpisode
from domain.delivery_ports import Outbox
from domain.events import Event
from domain.heartbeat_ports import HeartbeatRepository
from domain.maintenance_ports import MaintenanceWindows, SuppressedAlerts
from domain.model import Incident, IncidentId, IncidentState, ServiceId, ServiceState, Step


class Clock(Protocol):
    """The time, read once per input: nothing in the domain reads the system clock itself."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC. Never raises; it only reads, so calling again is safe."""
        ...


class ServiceStateRepository(Protocol):
    """Each service's state (its open incident), and the lock that serializes changes to its incidents."""

    def lock(self, service_id: ServiceId) -> ServiceState:
        """The service's state, locked until the unit of work ends (created healthy if new); waits while
        another unit holds the lock. Raises store errors. Locking again in the same unit is safe: the lock
        is already held."""
        ...

    def lock_all(self, service_ids: Sequence[ServiceId]) -> list[ServiceState]:
        """`lock` for several services at once, in id order (so two callers never wait on each other in a
        cycle); one state per distinct id, in id order. Raises store errors; safe to repeat, as `lock`."""
        ...

    def save(self, state: ServiceState) -> None:
        """Store `state`, written by the commit at the latest; the caller holds the service's lock. Raises
        store errors, maybe later. Saving the same state again changes nothing."""
        ...

    def list(self) -> list[ServiceState]:
        """Every service that has a stored state, in id order. No lock. A read (raises store errors):
        safe to retry."""
        ...


class IncidentRepository(Protocol):
    """The incidents, each with the step it waits on and its acknowledgement deadline."""

    def reserve(self, count: int) -> None:
        """A hint: about `count` incidents will be added in this unit of work (the adapter may fetch their ids
        in one go, or ignore it). Raises store errors. Safe to repeat: ids reserved and not used are
        skipped."""
        ...

    def add(self, incident: Incident) -> None:
        """Store a new incident: set `incident.id` and move its pending events to the timeline. The caller
        holds its service's lock and has checked the service has no other open incident. Raises store
        errors, maybe later. Not idempotent: each call stores one more incident."""
        ...

    def get(self, incident_id: IncidentId) -> Incident | None:
        """The incident (without pending events), or None. Callers that will change it hold its service's lock
        first. A read (raises store errors): safe to retry."""
        ...

    def get_many(self, incident_ids: Sequence[IncidentId]) -> dict[IncidentId, Incident]:
        """`get` for several incidents at once; unknown ids are left out. A read, as `get`."""
        ...

    def save(self, incident: Incident) -> None:
        """Persist the incident's state and append its pending events to the timeline, taking them off
        `incident`; written by the commit at the latest. Raises store errors, maybe later.
        Saving again is safe: the state is written again, no event twice."""
        ...

    def overdue(self, now: datetime, limit: int) -> list[tuple[IncidentId, Step]]:
        """Up to `limit` triggered incidents whose ack deadline is at or before `now`, oldest deadline first,
        with the step each waits on. No lock: the caller locks their services and reads them again. A read
        (raises store errors): safe to retry."""
        ...

    def pending_deadlines(self) -> list[tuple[IncidentId, Step, datetime]]:
        """Every triggered incident still waiting for an ack, with its step and deadline. No lock. A read
        (raises store errors): safe to retry."""
        ...

    def list(
        self, states: Sequence[IncidentState], limit: int = 100, before: IncidentId | None = None
    ) -> list[Incident]:
        """Up to `limit` incidents in the given states, newest first; with `before`, only those of a smaller
        id. No lock. A read (raises store errors): safe to retry."""
        ...


class AlertRepository(Protocol):
    """The distinct alerts (by dedup key) an incident has gathered, firing or resolved."""

    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        """Note a firing alert; a dedup key already firing on the incident is counted, not duplicated, its
        episode's start becoming the later of the two. Raises store errors, maybe later. Not
        idempotent: recording the same alert again counts it again."""
        ...

    def resolve(
        self, incident_id: IncidentId, dedup_key: str | None, at: datetime, ends_at: datetime | None = None
    ) -> None:
        """Mark the alert with that key resolved, its episode ended at `ends_at` (the monitor's time, if it
        said one); with no key, every alert of the incident. Raises store errors, maybe later.
        Safe to repeat: only firing alerts are resolved."""
        ...

    def latest(self, keys: Sequence[tuple[ServiceId, str]]) -> dict[tuple[ServiceId, str], AlertEpisode]:
        """The latest episode of each (service, dedup key), across resolved incidents too; keys never seen are
        left out. A read (raises store errors): safe to retry."""
        ...

    def firing_count(self, incident_id: IncidentId) -> int:
        """How many distinct alerts of the incident are firing. A read (raises store errors): safe to
        retry."""
        ...

    def is_firing(self, incident_id: IncidentId, dedup_key: str) -> bool:
        """Whether the incident has a firing (not yet resolved) alert with that key. A read (raises store
        errors): safe to retry."""
        ...


class Timeline(Protocol):
    """Each incident's events: the history people read."""

    def append(self, incident_id: IncidentId, event: Event) -> None:
        """Add `event` to the incident's timeline, written by the commit at the latest. Raises store errors,
        maybe later. Not idempotent: appending again records it twice."""
        ...

    def of(self, incident_id: IncidentId) -> list[Event]:
        """The incident's events in the order they were recorded; none for an unknown incident. A read (raises
        store errors): safe to retry."""
        ...


class UnitOfWork(Protocol):
    """One transaction: everything done through it commits together or not at all.

    Leaving the `with` block without `commit()` rolls back. When a repository method or the commit raises a
    store error, nothing of the unit is stored, so running the whole unit again is safe. No repository
    retries by itself; whoever drove the unit does, or not: the intake retries a failed group's requests
    one by one and a monitor resends an alert it got an error for; the engine and the relay look again on
    their next pass.
    """

    services: ServiceStateRepository
    incidents: IncidentRepository
    alerts: AlertRepository
    timeline: Timeline
    outbox: Outbox
    heartbeats: HeartbeatRepository
    windows: MaintenanceWindows
    suppressed: SuppressedAlerts

    def __enter__(self) -> Self:
        """Begin the unit. Raises store errors (the store cannot be reached): then nothing began."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and release the unit's locks. Raises store errors."""
        ...

    def commit(self) -> None:
        """Write what the repositories kept and commit it all. Raises store errors: then nothing of the
        unit is stored."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork:
        """A new unit of work, not begun: nothing happens until its `with`. Never raises."""
        ...


class WakeUps(Protocol):
    """Asks for the engine to look at the deadlines at a given moment: a stored wake-up, nothing more.

    The deadlines themselves are columns of rows (an incident's `ack_deadline`, ...), and the engine also
    looks on its own every few seconds, so a wake-up lost in a crash costs that long, never a page. Among
    replicas, any may ask; the leader's engine is woken.
    """

    def at(self, when: datetime) -> None:
        """Wake the engine at `when`, or a little after, never before. Called after the change that set the
        deadline committed. Safe to repeat (asking twice for one moment wakes it once); never raises: a
        wake-up that cannot be stored is logged and left to the engine's own periodic look."""
        ...


class InboundMessageLog(Protocol):
    """The provider ids of inbound messages already acted on, so a redelivered one is acted on once."""

    def first_time(self, message_id: str, at: datetime) -> bool:
        """Note `message_id`, received `at`; True if it was not noted before, False for a redelivery. The
        note is made at once, in no unit of work, so it holds whatever the caller's unit does next. Safe to
        call from several processes: one of them gets True. Raises store errors: then nothing is noted,
        and the provider's retry is taken for a first delivery."""
        ...

    def forget(self, message_id: str) -> None:
        """Un-note a message whose handling failed, so the provider's retry is handled. Raises store
        errors. Safe to repeat; forgetting a message never noted does nothing."""
        ...
