"""The relay sends a channel's pages to different addresses side by side."""

from __future__ import annotations

import threading
from datetime import timedelta

from adapters.outbox_relay import ThreadedOutboxRelay
from domain.dispatch import Dispatcher
from domain.errors import NotificationFailed
from domain.model import Alert, Channel
from domain.ports import Page
from tests.fakes import InMemoryUnitOfWork
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
            raise NotificationFailed("no other send was under way", permanent=True) from None
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
