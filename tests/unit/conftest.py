"""A small configured world and the pager running on fakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.dispatch import Dispatcher, DispatchPolicy
from domain.model import (
    Catalog,
    Channel,
    Contact,
    EscalationPolicy,
    Level,
    Person,
    PersonId,
    PolicyId,
    RotationId,
    Service,
    ServiceId,
    Target,
)
from domain.pager import Pager
from domain.rotation import Rotation
from tests.fakes import (
    T0,
    CountingDoorbell,
    FakeClock,
    FakeWakeUps,
    InMemoryUnitOfWork,
    MemoryStore,
    RecordingNotifier,
)

ALICE = Person(
    PersonId("alice"),
    "Alice",
    (Contact(Channel.SMS, "+33612345678"), Contact(Channel.EMAIL, "alice@example.com")),
)
BOB = Person(PersonId("bob"), "Bob", (Contact(Channel.EMAIL, "bob@example.com"),))
CAROL = Person(PersonId("carol"), "Carol", (Contact(Channel.SMS, "+33600000001"),))


def targets(*texts: str) -> tuple[Target, ...]:
    return tuple(Target.parse(t) for t in texts)


def make_catalog(repeat: int = 0) -> Catalog:
    policy = EscalationPolicy(
        PolicyId("default"),
        (
            Level(targets("person:alice", "slack:#ops"), timedelta(minutes=15)),
            Level(targets("person:bob", "sms:+33600000000"), timedelta(minutes=10)),
        ),
        repeat=repeat,
    )
    rotation = Rotation.single("primary", ("carol", "bob"), T0, timedelta(days=7), ZoneInfo("Europe/Paris"))
    return Catalog(
        people={p.id: p for p in (ALICE, BOB, CAROL)},
        policies={policy.id: policy},
        services={
            ServiceId("payments"): Service(ServiceId("payments"), "Payments API", policy.id),
            ServiceId("search"): Service(ServiceId("search"), "Search", policy.id),
        },
        rotations={RotationId("primary"): rotation},
    )


@dataclass
class World:
    clock: FakeClock
    wakeups: FakeWakeUps
    store: MemoryStore
    pager: Pager
    dispatcher: Dispatcher
    notifiers: dict[Channel, RecordingNotifier]
    doorbell: CountingDoorbell

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def advance(self, delta: timedelta) -> None:
        """Let time pass: due timeouts fire, then everything due in the outbox is sent."""
        self.clock.advance(delta)
        self.wakeups.fire_due()
        self.deliver()

    def deliver(self) -> None:
        self.clock.advance(self.dispatcher.policy.bundle_window)
        self.dispatcher.dispatch_due()

    def sent(self) -> list[tuple[str, str, tuple[int, ...]]]:
        """Every page sent so far as (channel, address, incident ids)."""
        return [
            (str(channel), page.address, tuple(i.incident_id for i in page.items))
            for channel, n in self.notifiers.items()
            for page in n.sent
        ]

    def pages_after_every_deadline(self) -> list[tuple[str, str, tuple[int, ...]]]:
        """What is paged from now until well past every deadline: nothing, once escalation has stopped."""
        self.deliver()
        self.clear_sent()
        self.advance(timedelta(days=1))
        return self.sent()

    def clear_sent(self) -> None:
        for n in self.notifiers.values():
            n.sent.clear()


def make_world(catalog: Catalog | None = None) -> World:
    clock = FakeClock()
    wakeups = FakeWakeUps(clock)
    store = MemoryStore()
    doorbell = CountingDoorbell()
    catalog = catalog or make_catalog()
    pager = Pager(catalog, lambda: InMemoryUnitOfWork(store), clock, wakeups, doorbell)
    wakeups.engine = pager.engine
    notifiers = {c: RecordingNotifier() for c in Channel}
    dispatcher = Dispatcher(catalog, lambda: InMemoryUnitOfWork(store), notifiers, clock, DispatchPolicy())
    return World(clock, wakeups, store, pager, dispatcher, notifiers, doorbell)


@pytest.fixture
def world() -> World:
    return make_world()
