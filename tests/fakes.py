"""Small working fakes of the pager's own ports, for tests that run the service edge to edge."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from domain.alerts import Alert, AlertEpisode
from domain.delivery_ports import Batch, ClaimedMessage, OutboxMessage, Page, StepMessage
from domain.engine import Engine
from domain.errors import SendFailed
from domain.events import Event
from domain.heartbeat_model import HeartbeatRecord
from domain.model import Channel, Incident, IncidentId, IncidentState, ServiceId, ServiceState, Step
from tests.fake_heartbeats import MemoryHeartbeats
from tests.fake_maintenance import MaintenanceData, MemorySuppressedAlerts, MemoryWindows

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class FakeWakeUps:
    """The WakeUps port as production keeps it, on a fake clock: each moment asked for is stored, and
    `fire_due` wakes the engine, once, when some stored moment has come (as the scheduler's job does)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.moments: set[datetime] = set()
        self.engine: Engine | None = None

    def at(self, when: datetime) -> None:
        self.moments.add(when)

    def fire_due(self) -> int:
        """Run the engine if a wake-up is due; returns how many wake-ups that was."""
        assert self.engine is not None, "give the fake its engine: wakeups.engine = pager.engine"
        due = {m for m in self.moments if m <= self.clock.now()}
        self.moments -= due
        if due:
            self.engine.run_due()
        return len(due)


class RecordingNotifier:
    def __init__(self) -> None:
        self.sent: list[Page] = []
        self.failures: list[SendFailed] = []

    def send(self, page: Page) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(page)

    def addresses(self) -> list[str]:
        return [p.address for p in self.sent]


class CountingDoorbell:
    def __init__(self) -> None:
        self.rings = 0

    def ring(self) -> None:
        self.rings += 1


@dataclass
class _Row:
    id: int
    message: OutboxMessage
    status: str = "pending"
    attempts: int = 0
    not_before: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    fell_through_at: datetime | None = None


@dataclass
class _AlertRow:
    dedup_key: str | None
    firing: bool = True
    count: int = 1
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    last_at: datetime | None = None  # of a resolved alert: when it was resolved


@dataclass
class MemoryStore:
    services: dict[ServiceId, ServiceState] = field(default_factory=dict)
    incidents: dict[IncidentId, Incident] = field(default_factory=dict)
    alerts: dict[IncidentId, list[_AlertRow]] = field(default_factory=dict)
    timeline: dict[IncidentId, list[Event]] = field(default_factory=dict)
    outbox: list[_Row] = field(default_factory=list)
    heartbeats: dict[str, HeartbeatRecord] = field(default_factory=dict)
    maintenance: MaintenanceData = field(default_factory=MaintenanceData)
    next_incident: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __deepcopy__(self, memo: dict[int, object]) -> MemoryStore:
        fields = {k: copy.deepcopy(v, memo) for k, v in vars(self).items() if k != "lock"}
        return MemoryStore(**fields, lock=self.lock)


class _Services:
    def __init__(self, store: MemoryStore) -> None:
        self.s = store

    def lock(self, service_id: ServiceId) -> ServiceState:
        return copy.copy(self.s.services.setdefault(service_id, ServiceState(service_id)))

    def lock_all(self, service_ids: Sequence[ServiceId]) -> list[ServiceState]:
        return [self.lock(service_id) for service_id in sorted(set(service_ids))]

    def save(self, state: ServiceState) -> None:
        self.s.services[state.service_id] = copy.copy(state)

    def list(self) -> list[ServiceState]:
        return [copy.copy(self.s.services[k]) for k in sorted(self.s.services)]


class _Incidents:
    def __init__(self, store: MemoryStore, timeline: _Timeline) -> None:
        self.s, self.timeline = store, timeline

    def reserve(self, count: int) -> None:
        pass

    def add(self, incident: Incident) -> None:
        incident.id = IncidentId(self.s.next_incident)
        self.s.next_incident += 1
        self.save(incident)

    def get(self, incident_id: IncidentId) -> Incident | None:
        found = self.s.incidents.get(incident_id)
        return None if found is None else replace(found, events=[])

    def get_many(self, incident_ids: Sequence[IncidentId]) -> dict[IncidentId, Incident]:
        found = {i: self.get(i) for i in incident_ids}
        return {i: incident for i, incident in found.items() if incident is not None}

    def save(self, incident: Incident) -> None:
        for event in incident.events:
            self.timeline.append(incident.id, event)
        incident.events.clear()
        self.s.incidents[incident.id] = replace(incident, events=[])

    def overdue(self, now: datetime, limit: int) -> list[tuple[IncidentId, Step]]:
        due = [i for i in self._waiting() if i.ack_deadline is not None and i.ack_deadline <= now]
        due.sort(key=lambda i: (i.ack_deadline, i.id))
        return [(i.id, Step(i.level, i.round)) for i in due[:limit]]

    def pending_deadlines(self) -> list[tuple[IncidentId, Step, datetime]]:
        return [(i.id, Step(i.level, i.round), i.ack_deadline) for i in self._waiting() if i.ack_deadline]

    def list(
        self, states: Sequence[IncidentState], limit: int = 100, before: IncidentId | None = None
    ) -> list[Incident]:
        below = [i for i in self.s.incidents.values() if before is None or i.id < before]
        found = [replace(i, events=[]) for i in below if i.state in states]
        return sorted(found, key=lambda i: i.id, reverse=True)[:limit]

    def _waiting(self) -> list[Incident]:
        return [i for i in self.s.incidents.values() if i.state is IncidentState.TRIGGERED]


class _Alerts:
    def __init__(self, store: MemoryStore) -> None:
        self.s = store

    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        rows = self.s.alerts.setdefault(incident_id, [])
        for row in rows:
            if row.firing and row.dedup_key == alert.dedup_key:
                row.count += 1
                starts = [t for t in (row.starts_at, alert.starts_at) if t is not None]
                row.starts_at = max(starts, default=None)
                return
        rows.append(_AlertRow(alert.dedup_key, starts_at=alert.starts_at))

    def resolve(
        self, incident_id: IncidentId, dedup_key: str | None, at: datetime, ends_at: datetime | None = None
    ) -> None:
        for row in self.s.alerts.get(incident_id, []):
            if row.firing and (dedup_key is None or row.dedup_key == dedup_key):
                row.firing, row.ends_at, row.last_at = False, ends_at, at

    def latest(self, keys: Sequence[tuple[ServiceId, str]]) -> dict[tuple[ServiceId, str], AlertEpisode]:
        wanted = set(keys)
        found: dict[tuple[ServiceId, str], AlertEpisode] = {}
        for incident_id in sorted(self.s.alerts):  # one open incident per service: ids order its episodes
            service = self.s.incidents[incident_id].service_id
            for row in self.s.alerts[incident_id]:
                if row.dedup_key is not None and (service, row.dedup_key) in wanted:
                    resolved_at = None if row.firing else row.last_at
                    episode = AlertEpisode(incident_id, row.firing, row.starts_at, row.ends_at, resolved_at)
                    found[(service, row.dedup_key)] = episode
        return found

    def firing_count(self, incident_id: IncidentId) -> int:
        return sum(row.firing for row in self.s.alerts.get(incident_id, []))

    def is_firing(self, incident_id: IncidentId, dedup_key: str) -> bool:
        return any(row.firing and row.dedup_key == dedup_key for row in self.s.alerts.get(incident_id, []))


class _Timeline:
    def __init__(self, store: MemoryStore) -> None:
        self.s = store

    def append(self, incident_id: IncidentId, event: Event) -> None:
        self.s.timeline.setdefault(incident_id, []).append(event)

    def of(self, incident_id: IncidentId) -> list[Event]:
        return list(self.s.timeline.get(incident_id, []))


class _Outbox:
    def __init__(self, store: MemoryStore) -> None:
        self.s = store

    @staticmethod
    def _key(m: OutboxMessage) -> tuple[object, ...]:
        return (m.incident_id, m.level, m.round, m.channel, m.address, m.step)

    def add(self, messages: Sequence[OutboxMessage]) -> int:
        known = {self._key(r.message) for r in self.s.outbox}
        added = 0
        for m in messages:
            if self._key(m) not in known:
                known.add(self._key(m))
                held = m.created_at if m.step else None
                self.s.outbox.append(_Row(len(self.s.outbox) + 1, m, not_before=held))
                added += 1
        return added

    def bring_forward(self, key: StepMessage, now: datetime) -> bool:
        k = (key.incident_id, key.level, key.round, key.channel, key.address, key.step)
        for r in self._pending():
            if self._key(r.message) == k and r.not_before is not None and r.not_before > now:
                r.message, r.not_before = replace(r.message, created_at=now), now
                return True
        return False

    def put(self, messages: Sequence[OutboxMessage]) -> None:
        self.add(messages)

    def cancel(self, incident_id: IncidentId) -> None:
        unsent = [r for r in self.s.outbox if r.status in ("pending", "sending")]
        rows = [r for r in unsent if r.message.incident_id == incident_id]
        for r in rows:
            r.status = "cancelled"

    def claim(
        self, now: datetime, bundle_window_s: float, lease_until: datetime, channel: Channel | None = None
    ) -> list[Batch]:
        for r in self.s.outbox:
            if r.status == "sending" and r.lease_until is not None and r.lease_until <= now:
                r.status, r.lease_until = "pending", None
        window = timedelta(seconds=bundle_window_s)
        ready = [r for r in self._pending() if r.not_before is None or r.not_before <= now]
        ready = [r for r in ready if channel is None or r.message.channel == channel]
        groups: dict[tuple[Channel, str], list[_Row]] = {}
        for r in ready:
            groups.setdefault((r.message.channel, r.message.address), []).append(r)
        batches = []
        for (channel, address), rows in groups.items():
            if min(r.message.created_at for r in rows) + window > now:
                continue
            for r in rows:
                r.status, r.lease_until = "sending", lease_until
            claimed = tuple(ClaimedMessage(r.id, r.message, r.attempts) for r in rows)
            batches.append(Batch(channel, address, claimed))
        return batches

    def renew(self, ids: Sequence[int], lease: datetime, until: datetime) -> list[int]:
        held = [r for r in self._rows(ids) if r.status == "sending" and r.lease_until == lease]
        for r in held:
            r.lease_until = until
        return sorted(r.id for r in held)

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        for r in self._rows(ids):
            r.status, r.lease_until = "sent", None

    def mark_failed(self, ids: Sequence[int], reason: str, retry_at: datetime | None, lease: datetime) -> int:
        held = [r for r in self._rows(ids) if r.status == "sending" and r.lease_until == lease]
        for r in held:
            r.attempts += 1
            r.last_error = reason
            r.status = "pending" if retry_at is not None else "failed"
            r.not_before, r.lease_until = retry_at, None
        return len(held)

    def mark_fell_through(self, ids: Sequence[int], at: datetime) -> list[int]:
        unmarked = [r for r in self._rows(ids) if r.fell_through_at is None]
        for r in unmarked:
            r.fell_through_at = at
        return sorted(r.id for r in unmarked)

    def next_due(self, bundle_window_s: float, channel: Channel | None = None) -> datetime | None:
        window = timedelta(seconds=bundle_window_s)
        rows = [r for r in self.s.outbox if channel is None or r.message.channel == channel]
        waiting = [self._due(r, window) for r in rows if r.status == "pending"]
        leases = [r.lease_until for r in rows if r.status == "sending" and r.lease_until is not None]
        return min(waiting + leases, default=None)

    def reaching(self, incident_id: IncidentId, level: int, round: int) -> bool:
        return any(
            (r.message.incident_id, r.message.level, r.message.round) == (incident_id, level, round)
            and r.status in ("pending", "sending", "sent")
            for r in self.s.outbox
        )

    def backlog(self) -> int:
        return len(self._pending())

    @staticmethod
    def _due(r: _Row, window: timedelta) -> datetime:
        """A retry at its time; anything else a bundle window after it is owed."""
        if r.not_before is not None and r.not_before > r.message.created_at:
            return r.not_before
        return r.message.created_at + window

    def _pending(self) -> list[_Row]:
        return [r for r in self.s.outbox if r.status == "pending"]

    def _rows(self, ids: Sequence[int]) -> list[_Row]:
        wanted = set(ids)
        return [r for r in self.s.outbox if r.id in wanted]


class InMemoryUnitOfWork:
    """Works on a copy of the store; `commit` publishes the copy. Units of work run one at a time."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def __enter__(self) -> Self:
        self.store.lock.acquire()
        self._begin()
        return self

    def _begin(self) -> None:
        self._work = copy.deepcopy(self.store)
        self.services = _Services(self._work)
        self.timeline = _Timeline(self._work)
        self.incidents = _Incidents(self._work, self.timeline)
        self.alerts = _Alerts(self._work)
        self.outbox = _Outbox(self._work)
        self.heartbeats = MemoryHeartbeats(self._work.heartbeats)
        self.windows = MemoryWindows(self._work.maintenance)
        self.suppressed = MemorySuppressedAlerts(self._work.maintenance)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.store.lock.release()

    def commit(self) -> None:
        for name, value in vars(self._work).items():
            if name != "lock":
                setattr(self.store, name, value)
        self._begin()


class MemoryInboundMessageLog:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_time(self, message_id: str, at: datetime) -> bool:
        if message_id in self.seen:
            return False
        self.seen.add(message_id)
        return True

    def forget(self, message_id: str) -> None:
        self.seen.discard(message_id)
