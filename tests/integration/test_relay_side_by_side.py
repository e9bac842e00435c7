"""The relay sends a channel's pages to different addresses side by side, looks again only when pages can
be due, and claims them without looking again when they fall due as its last look said."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from adapters.clock import SystemClock
from adapters.outbox_relay import ThreadedOutboxRelay
from domain.alerts import Alert
from domain.delivery_ports import Page
from domain.dispatch import Dispatcher, DispatchPolicy
from domain.errors import SendFailed
from domain.model import Channel
from tests.fakes import FakeClock, InMemoryUnitOfWork
from tests.unit.conftest import World, make_world

SMS_ADDRESSES = ["+33600000000", "+33612345678"]  # level 2's number, and alice's


class Rendezvous:
    """A notifier whose every send waits until `parties` sends are under way at once, and fails
    for good when that does not happen within `patience` seconds."""

    def __init__(self, parties: int, patience: float) -> None:
        self._barrier = threading.Barrier(parties, timeout=patience)
        self._parties = parties
        self._lock = threading.Lock()
        self.attempts = 0
        self.sent: list[str] = []
        self.all_tried = threading.Event()

    def send(self, page: Page) -> None:
        try:
            self._barrier.wait()
            with self._lock:
                self.sent.append(page.address)
        except threading.BrokenBarrierError:
            raise SendFailed("no other send was under way", permanent=True) from None
        finally:
            with self._lock:
                self.attempts += 1
                if self.attempts == self._parties:
                    self.all_tried.set()


def two_sms_addresses_owed() -> World:
    world = make_world()
    world.pager.on_alert("payments", Alert("down"))  # level 1: alice's SMS (and more)
    world.clock.advance(timedelta(minutes=15))
    world.pager.sweep_overdue()  # level 2: +33600000000 (and more)
    world.clock.advance(timedelta(minutes=1))  # both bundle windows have passed
    return world


def send_sms(world: World, sms: Rendezvous, sends_at_once: int) -> None:
    dispatcher = Dispatcher(
        world.pager.catalog, lambda: InMemoryUnitOfWork(world.store), {Channel.SMS: sms}, world.clock
    )
    relay = ThreadedOutboxRelay(dispatcher, world.clock, [Channel.SMS], sends_at_once=sends_at_once)
    relay.start()
    try:
        assert sms.all_tried.wait(10)
    finally:
        relay.stop()


def test_pages_to_different_addresses_of_one_channel_leave_side_by_side() -> None:
    sms = Rendezvous(parties=2, patience=10)

    send_sms(two_sms_addresses_owed(), sms, sends_at_once=4)

    assert sorted(sms.sent) == SMS_ADDRESSES


def test_one_send_at_a_time_when_so_configured() -> None:
    sms = Rendezvous(parties=2, patience=0.5)  # the rendezvous that cannot happen breaks off

    send_sms(two_sms_addresses_owed(), sms, sends_at_once=1)

    assert (sms.attempts, sms.sent) == (2, [])


class CountingDispatcher:
    """Stands for the dispatcher: nothing is ever due; counts how often the worker looks."""

    policy = DispatchPolicy(bundle_window=timedelta(seconds=1))

    def __init__(self) -> None:
        self.looks = 0
        self.looked = threading.Event()

    def next_due(self, channel: Channel | None = None) -> None:
        self.looks += 1
        self.looked.set()

    def dispatch_due(self, channel: Channel | None = None, run: object = None) -> int:
        return 0


def test_a_storm_of_rings_within_a_window_costs_no_look_before_its_pages_can_be_due() -> None:
    dispatcher = CountingDispatcher()
    relay = ThreadedOutboxRelay(dispatcher, FakeClock(), [Channel.SMS])  # type: ignore[arg-type]
    relay.start()
    try:
        assert dispatcher.looked.wait(10)  # the look at start
        dispatcher.looked.clear()
        for _ in range(500):  # 500 commits queue pages: none is due before a window from now
            relay.ring()
        looked_again = dispatcher.looked.wait(0.5)  # half the window: a look would be wasted
    finally:
        relay.stop()
    assert (looked_again, dispatcher.looks) == (False, 1)


class SteadyDispatcher:
    """Stands for the dispatcher while pages fall due one after another: each look finds the next one due
    a moment later, each claim takes one. Counts both."""

    policy = DispatchPolicy(bundle_window=timedelta(seconds=1))

    def __init__(self, claims: int) -> None:
        self.looks = self.claims = 0
        self._wanted = claims
        self.done = threading.Event()

    def next_due(self, channel: Channel | None = None) -> datetime:
        self.looks += 1
        return datetime.now(UTC) + timedelta(milliseconds=5)

    def dispatch_due(self, channel: Channel | None = None, run: object = None) -> int:
        self.claims += 1
        if self.claims == self._wanted:
            self.done.set()
        return 1


def test_pages_falling_due_one_after_another_cost_one_look_per_claim() -> None:
    dispatcher = SteadyDispatcher(claims=20)
    relay = ThreadedOutboxRelay(dispatcher, SystemClock(), [Channel.SMS])  # type: ignore[arg-type]
    relay.start()
    try:
        assert dispatcher.done.wait(10)
    finally:
        relay.stop()
    assert dispatcher.looks <= dispatcher.claims + 1  # the look that was under way as it stopped
