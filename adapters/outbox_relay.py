"""Workers that drive the dispatcher, one per channel: woken by the doorbell after a commit, by the clock
otherwise. A provider that hangs or fails holds up only its own channel's pages; within a channel, pages to
different addresses are sent side by side by a few threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import structlog

from adapters.worker import Worker
from domain.dispatch import Dispatcher, Task
from domain.model import Channel
from domain.ports import Clock

_log = structlog.get_logger("pager.relay")

# A ring brings the next look forward to this share of the bundling window before its pages fall due.
_EARLY = 0.25


class ThreadedOutboxRelay:
    """Implements the Doorbell port: one worker per channel, each claiming only its channel's pages
    (without `channels`, one worker for them all)."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        clock: Clock,
        channels: Iterable[Channel] | None = None,
        poll_interval: float = 1.0,
        sends_at_once: int = 8,
    ) -> None:
        each: list[Channel | None] = [None] if channels is None else list(channels)
        self._channels = [
            ChannelRelay(dispatcher, clock, channel, poll_interval, sends_at_once) for channel in each
        ]

    def ring(self) -> None:
        for channel in self._channels:
            channel.ring()

    def start(self) -> None:
        for channel in self._channels:
            channel.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Let each channel finish the page in flight, then stop; waits `timeout` in all, not per channel."""
        for channel in self._channels:  # all first: none claims more while another finishes
            channel.request_stop()
        deadline = time.monotonic() + timeout
        for channel in self._channels:
            channel.join(max(deadline - time.monotonic(), 0.0))


class ChannelRelay:
    """Sleeps until its channel's next due time, never longer than `poll_interval`, so pages queued
    by another process are picked up too. Looks before it claims: a claim is a write transaction,
    and on SQLite every write waits for the others, ingestion's included.

    Claimed pages go to `sends_at_once` sender threads and the relay looks again at once: a page
    falling due while others are being sent is claimed then, not after them. It claims only while
    a sender is free, so what waits for a sender is at most one claim's worth.

    The doorbell rings after every commit that queued pages, hundreds of times a second in a storm,
    and those pages are due a bundling window after they were queued: a ring only brings the next look
    forward to shortly before then (`_EARLY` of the window), so a storm of rings costs one look each
    window, not one each. The looking is a `Worker`'s step; rings, and a sender freed while every one
    was busy, wake it. Woken at the moment its last look said pages fall due, it claims them without
    looking again: when pages fall due one after another (a deadline each few milliseconds), each claim
    costs one transaction, not two."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        clock: Clock,
        channel: Channel | None,
        poll_interval: float,
        sends_at_once: int = 1,
    ) -> None:
        self._dispatcher = dispatcher
        self._senders = ThreadPoolExecutor(sends_at_once, thread_name_prefix=f"send-{channel or 'all'}")
        self._sends_at_once = sends_at_once
        self._in_flight = 0
        self._waiting_for_a_sender = False
        self._due: datetime | None = None  # when the last look said pages fall due
        self._sent = threading.Condition()
        self._clock = clock
        self.channel = channel
        self._poll_interval = poll_interval
        self._window = dispatcher.policy.bundle_window.total_seconds()
        self._worker = Worker(f"outbox-relay-{channel or 'all'}", self._round)

    def ring(self) -> None:
        self._worker.wake(at=time.monotonic() + self._window * (1 - _EARLY))

    def start(self) -> None:
        self._worker.start()

    def request_stop(self) -> None:
        """Look no more; the pass under way finishes, `join` waits for it."""
        self._worker.stop(timeout=0.0)

    def join(self, timeout: float) -> None:
        """Wait for the pass under way and the pages it handed to senders; pages still unsent by
        `timeout` are left to their lease (sent again after it, by this process or another)."""
        deadline = time.monotonic() + timeout
        self._worker.stop(timeout)
        with self._sent:
            self._sent.wait_for(lambda: self._in_flight == 0, max(deadline - time.monotonic(), 0.0))
        self._senders.shutdown(wait=False, cancel_futures=True)

    def _round(self) -> float:
        # Caught here rather than left to the Worker: the log line names the channel.
        try:
            return self._pass()
        except Exception:  # the database may be briefly away; nothing is lost, try again
            _log.exception("outbox relay pass failed", channel=str(self.channel or "all"))
            return self._poll_interval

    def _pass(self) -> float:
        """Send what is due; returns how long to sleep before looking again."""
        with self._sent:
            self._waiting_for_a_sender = self._in_flight >= self._sends_at_once
            if self._waiting_for_a_sender:
                return self._poll_interval  # the sender that finishes wakes the worker
        if self._due is None or self._clock.now() < self._due:  # woken early: something may be due sooner
            self._due = self._dispatcher.next_due(self.channel)
            wait = self._seconds_until(self._due)
            if wait > 0:
                return wait
        self._due = None
        if self._dispatcher.dispatch_due(self.channel, self._side_by_side):
            return 0.0
        return 0.05  # due but claimed elsewhere, or a bundle still filling: don't spin

    def _side_by_side(self, tasks: Sequence[Task]) -> None:
        """Hand each page to a sender thread, without waiting for it."""
        for task in tasks:
            with self._sent:
                self._in_flight += 1
            self._senders.submit(self._send, task)

    def _send(self, task: Task) -> None:
        try:
            task()
        except Exception:  # the database may be briefly away; the page's lease brings it back
            _log.exception("sending a page failed", channel=str(self.channel or "all"))
        finally:
            with self._sent:
                self._in_flight -= 1
                self._sent.notify_all()
                freed, self._waiting_for_a_sender = self._waiting_for_a_sender, False
            if freed:  # the relay held back a claim for want of a sender: look at once
                self._worker.wake()

    def _seconds_until(self, due: datetime | None) -> float:
        if due is None:
            return self._poll_interval
        return min(max((due - self._clock.now()).total_seconds(), 0.0), self._poll_interval)
