"""A thread that drives the dispatcher: woken by the doorbell after a commit, by the clock otherwise."""

from __future__ import annotations

import threading
from datetime import datetime

import structlog

from domain.dispatch import Dispatcher
from domain.ports import Clock

_log = structlog.get_logger("pager.relay")


class ThreadedOutboxRelay:
    """Implements the Doorbell port. Sleeps until the outbox's next due time, never longer than
    `poll_interval`, so messages queued by another process are picked up too."""

    def __init__(self, dispatcher: Dispatcher, clock: Clock, poll_interval: float = 1.0) -> None:
        self._dispatcher = dispatcher
        self._clock = clock
        self._poll_interval = poll_interval
        self._bell = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def ring(self) -> None:
        self._bell.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the page in flight, then stop."""
        self._stopping.set()
        self._bell.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._bell.clear()
            try:
                sent = self._dispatcher.dispatch_due()
                wait = self._seconds_until(self._dispatcher.next_due())
                if not sent and wait == 0:  # due but claimed elsewhere: don't spin
                    wait = 0.05
            except Exception:  # the database may be briefly away; nothing is lost, try again
                _log.exception("outbox relay pass failed")
                wait = self._poll_interval
            if wait > 0:
                self._bell.wait(wait)

    def _seconds_until(self, due: datetime | None) -> float:
        if due is None:
            return self._poll_interval
        return min(max((due - self._clock.now()).total_seconds(), 0.0), self._poll_interval)
