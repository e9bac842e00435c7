"""The one shape of every background loop: a thread that runs a step when woken or when it falls due.

A step does one round of work and says when it wants to run again. Whatever wakes it (a doorbell after a
commit, a stored wake-up, a request queued) calls `wake`; a step that raises is logged and run again after a
pause, so the thread never dies of a passing fault; `stop` lets the step under way finish, within a timeout.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import structlog

_log = structlog.get_logger("pager.worker")

Step = Callable[[], "float | None"]
"""One round of work; returns how many seconds until it should run again, or None to wait for a wake."""


class Worker:
    """Runs `step` on a thread of its own, one round at a time: wakes arriving during a round make one more
    round, not one each. `restart_after`: the pause after a round that raised."""

    def __init__(self, name: str, step: Step, *, restart_after: float = 1.0) -> None:
        self.name = name
        self._step = step
        self._restart_after = restart_after
        self._changed = threading.Condition()
        self._due = 0.0  # time.monotonic() of the next round; inf: only when woken
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self, at: float | None = None) -> None:
        """Run a round now, or by `at` (a time.monotonic() value) if that is sooner than already planned."""
        moment = time.monotonic() if at is None else at
        with self._changed:
            if moment < self._due:
                self._due = moment
                self._changed.notify()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> bool:
        """Finish the round under way and stop; True when the thread ended within `timeout`."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while self._wait_until_due():
            try:
                after = self._step()
            except Exception:  # the database or a provider away for a moment: the next round tries again
                _log.exception("background round failed", worker=self.name)
                after = self._restart_after
            self._plan(after)

    def _plan(self, after: float | None) -> None:
        planned = math.inf if after is None else time.monotonic() + max(after, 0.0)
        with self._changed:
            # A wake during the round lowered _due from inf: the earlier of the two wins.
            self._due = min(planned, self._due)

    def _wait_until_due(self) -> bool:
        """Wait for the next round; False once stopping."""
        with self._changed:
            while not self._stopping:
                left = self._due - time.monotonic()
                if left <= 0:
                    self._due = math.inf  # a wake from now on lowers it again
                    return True
                self._changed.wait(None if left == math.inf else left)
            return False
