"""The real pager over the SQL unit of work, hit by many threads at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine

from adapters.db import SqlAlchemyUnitOfWork
from domain import events
from domain.alerts import Alert
from domain.delivery_ports import Batch, OutboxMessage
from domain.dispatch import Dispatcher
from domain.model import Channel, IncidentId, IncidentState, ServiceId
from domain.pager import Pager
from tests.fakes import RecordingNotifier
from tests.unit.conftest import make_catalog

T = TypeVar("T")
LEVEL_ONE = {
    Channel.SMS: ["+33612345678"],
    Channel.VOICE: [],  # nobody of level 1 has a voice number
    Channel.EMAIL: ["alice@example.com"],
    Channel.SLACK: ["#ops"],
}


class WallClock:
    """The real time, shifted by `offset` so a test can look past the bundle window without sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class RecordingWakeUps:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.asked: list[datetime] = []

    def at(self, when: datetime) -> None:
        with self._lock:
            self.asked.append(when)


@dataclass
class Rig:
    engine: Engine
    clock: WallClock
    wakeups: RecordingWakeUps
    pager: Pager
    dispatcher: Dispatcher
    notifiers: dict[Channel, RecordingNotifier]

    def uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    def after_bundle_window(self) -> None:
        self.clock.offset += self.dispatcher.policy.bundle_window + timedelta(seconds=1)

    def addresses(self) -> dict[Channel, list[str]]:
        return {channel: notifier.addresses() for channel, notifier in self.notifiers.items()}


@pytest.fixture
def rig(migrated_engine: Engine) -> Rig:
    catalog, clock, wakeups = make_catalog(), WallClock(), RecordingWakeUps()
    notifiers = {channel: RecordingNotifier() for channel in Channel}
    pager = Pager(catalog, lambda: SqlAlchemyUnitOfWork(migrated_engine), clock, wakeups)
    dispatcher = Dispatcher(catalog, lambda: SqlAlchemyUnitOfWork(migrated_engine), notifiers, clock)
    return Rig(migrated_engine, clock, wakeups, pager, dispatcher, dict(notifiers))


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released together; re-raise the first failure."""
    barrier = threading.Barrier(len(calls))
    results: list[T] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results.append(call())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def alert_storm(rig: Rig, services: list[str], per_service: int) -> list[IncidentId]:
    def fire(service: str, n: int) -> Callable[[], IncidentId | None]:
        return lambda: (
            rig.pager.on_alert(service, Alert(f"{service} down #{n}", dedup_key=str(n))).incident_id
        )

    ids = at_once([fire(s, n) for s in services for n in range(per_service)])
    return sorted({i for i in ids if i is not None})


def test_simultaneous_alerts_for_one_service_open_exactly_one_incident(rig: Rig) -> None:
    [incident_id] = alert_storm(rig, ["payments"], 50)

    with rig.uow() as uow:
        open_incidents = uow.incidents.list([IncidentState.TRIGGERED])
        received = [e for e in uow.timeline.of(incident_id) if isinstance(e, events.AlertReceived)]
        firing = uow.alerts.firing_count(incident_id)

    assert [i.id for i in open_incidents] == [incident_id]
    assert (len(received), firing) == (50, 50)
    assert len(rig.wakeups.asked) == 1  # the one incident opened asked for its deadline


def test_simultaneous_alerts_page_each_level_one_address_once(rig: Rig) -> None:
    alert_storm(rig, ["payments"], 50)

    rig.after_bundle_window()
    rig.dispatcher.dispatch_due()

    assert rig.addresses() == LEVEL_ONE


def test_concurrent_dispatchers_send_each_page_once(rig: Rig) -> None:
    alert_storm(rig, ["payments", "search"], 5)

    rig.after_bundle_window()
    at_once([rig.dispatcher.dispatch_due for _ in range(8)])

    assert rig.addresses() == LEVEL_ONE


def test_concurrent_per_channel_dispatchers_send_each_page_once(rig: Rig) -> None:
    alert_storm(rig, ["payments", "search"], 5)

    rig.after_bundle_window()
    at_once([lambda c=channel: rig.dispatcher.dispatch_due(c) for channel in Channel for _ in range(3)])

    assert rig.addresses() == LEVEL_ONE


def test_an_address_shared_by_two_alerting_services_gets_one_page_listing_both(rig: Rig) -> None:
    incident_ids = alert_storm(rig, ["payments", "search"], 10)

    rig.after_bundle_window()
    rig.dispatcher.dispatch_due()

    [page] = rig.notifiers[Channel.SMS].sent
    assert len(incident_ids) == 2
    assert sorted(item.incident_id for item in page.items) == incident_ids
    assert rig.addresses() == LEVEL_ONE


def queue_for_five_addresses(engine: Engine, created_at: datetime, count: int = 300) -> None:
    messages = [
        OutboxMessage(
            IncidentId(n),
            ServiceId("payments"),
            "down",
            1,
            0,
            Channel.SMS,
            f"+3360000000{n % 5}",
            "t",
            created_at,
        )
        for n in range(count)
    ]
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.outbox.add(messages)
        uow.commit()


def claim_at_once(engine: Engine, claimers: int) -> list[Batch]:
    def claim() -> list[Batch]:
        now = datetime.now(UTC)
        with SqlAlchemyUnitOfWork(engine) as uow:
            batches = uow.outbox.claim(now, 1.0, lease_until=now + timedelta(seconds=60))
            uow.commit()
        return batches

    return [batch for batches in at_once([claim] * claimers) for batch in batches]


def test_concurrent_claims_take_each_address_whole_and_each_message_once(migrated_engine: Engine) -> None:
    queue_for_five_addresses(migrated_engine, datetime.now(UTC) - timedelta(seconds=10))

    batches = claim_at_once(migrated_engine, 16)

    ids = [c.id for b in batches for c in b.messages]
    assert (len(batches), len(ids), len(set(ids))) == (5, 300, 300)


def test_concurrent_claims_take_expired_leases_whole_and_once(migrated_engine: Engine) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    queue_for_five_addresses(migrated_engine, long_ago)
    with SqlAlchemyUnitOfWork(migrated_engine) as uow:
        uow.outbox.claim(long_ago + timedelta(seconds=1), 1.0, lease_until=long_ago + timedelta(seconds=2))
        uow.commit()

    batches = claim_at_once(migrated_engine, 16)

    ids = [c.id for b in batches for c in b.messages]
    assert (len(batches), len(ids), len(set(ids))) == (5, 300, 300)
