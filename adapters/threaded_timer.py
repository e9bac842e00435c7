"""An AckTimer that hands wake-ups to another timer from its own thread, so the alert path never waits.

Storing a wake-up is a transaction of its own (APScheduler's job store): done inline, it cost every new
incident a second commit after its own, and a burst of them queued behind one another. A wake-up is only
a hint (the deadline is on the incident row and the sweep re-drives a lost one), so it may be set a few
milliseconds after the commit, and a crash losing the queue loses nothing.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

import structlog

from domain.model import IncidentId, Step
from domain.ports import AckTimer

_log = structlog.get_logger("pager.timer")


@dataclass(frozen=True)
class _Schedule:
    step: Step
    at: datetime


_CANCEL = None


class ThreadedAckTimer:
    """Implements AckTimer by queueing each call; one thread applies them to `inner`, in order.

    Of several calls for one incident waiting together only the last is applied: `schedule` replaces
    an earlier one and `cancel` undoes it, so the last call alone gives the same end state.
    """

    def __init__(self, inner: AckTimer) -> None:
        self._inner = inner
        self._waiting: dict[IncidentId, _Schedule | None] = {}
        self._order: deque[IncidentId] = deque()
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def schedule(self, incident_id: IncidentId, step: Step, at: datetime) -> None:
        self._put(incident_id, _Schedule(step, at))

    def cancel(self, incident_id: IncidentId) -> None:
        self._put(incident_id, _CANCEL)

    def stop(self) -> None:
        """Apply what is queued, then stop the thread; later calls are applied at once."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _put(self, incident_id: IncidentId, call: _Schedule | None) -> None:
        with self._changed:
            if self._stopping:
                self._apply(incident_id, call)
                return
            if self._thread is None:  # started on first use, as nothing may start at import or build
                self._thread = threading.Thread(target=self._run, name="ack-timer-queue", daemon=True)
                self._thread.start()
            if incident_id not in self._waiting:
                self._order.append(incident_id)
            self._waiting[incident_id] = call
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._order and not self._stopping:
                    self._changed.wait()
                if not self._order:
                    return
                incident_id = self._order.popleft()
                call = self._waiting.pop(incident_id)
            self._apply(incident_id, call)

    def _apply(self, incident_id: IncidentId, call: _Schedule | None) -> None:
        try:
            if call is None:
                self._inner.cancel(incident_id)
            else:
                self._inner.schedule(incident_id, call.step, call.at)
        except Exception:  # the thread must survive; the sweep catches a wake-up that was not set
            _log.exception("could not pass a wake-up on to the timer", incident=int(incident_id))
