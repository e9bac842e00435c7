"""ThreadedAckTimer: wake-ups leave the caller's thread and reach the real timer in order."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from adapters.threaded_timer import ThreadedAckTimer
from domain.model import IncidentId, Step
from tests.fakes import T0, FakeAckTimer, FakeClock

WAIT = 10  # seconds; only reached when the behaviour under test is broken


class RecordingTimer(FakeAckTimer):
    """Notes every call it gets; the first waits at a gate, so later calls queue up meanwhile."""

    def __init__(self) -> None:
        super().__init__(FakeClock())
        self.calls: list[tuple[str, int]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()

    def schedule(self, incident_id: IncidentId, step: Step, at: datetime) -> None:
        self._note("schedule", incident_id)
        super().schedule(incident_id, step, at)

    def cancel(self, incident_id: IncidentId) -> None:
        self._note("cancel", incident_id)
        super().cancel(incident_id)

    def _note(self, call: str, incident_id: IncidentId) -> None:
        self.calls.append((call, int(incident_id)))
        self.entered.set()
        assert self.gate.wait(WAIT)


def test_every_wake_up_reaches_the_timer_once_stopped() -> None:
    inner = RecordingTimer()
    inner.gate.set()
    timer = ThreadedAckTimer(inner)

    timer.schedule(IncidentId(1), Step(0, 0), T0)
    timer.schedule(IncidentId(2), Step(1, 0), T0 + timedelta(minutes=5))
    timer.cancel(IncidentId(1))
    timer.stop()

    assert inner.scheduled == {IncidentId(2): (Step(1, 0), T0 + timedelta(minutes=5))}


def test_calls_for_one_incident_waiting_together_are_applied_as_the_last_of_them() -> None:
    inner = RecordingTimer()
    timer = ThreadedAckTimer(inner)
    timer.schedule(IncidentId(1), Step(0, 0), T0)
    assert inner.entered.wait(WAIT)

    timer.schedule(IncidentId(2), Step(0, 0), T0)
    timer.schedule(IncidentId(3), Step(0, 0), T0)
    timer.cancel(IncidentId(2))
    inner.gate.set()
    timer.stop()

    assert inner.calls == [("schedule", 1), ("cancel", 2), ("schedule", 3)]
    assert set(inner.scheduled) == {IncidentId(1), IncidentId(3)}


def test_the_caller_does_not_wait_for_the_timer() -> None:
    inner = RecordingTimer()
    timer = ThreadedAckTimer(inner)
    timer.schedule(IncidentId(1), Step(0, 0), T0)
    assert inner.entered.wait(WAIT)

    timer.cancel(IncidentId(1))  # returns although the timer is still busy with the first call
    stuck = inner.calls == [("schedule", 1)]
    inner.gate.set()
    timer.stop()

    assert stuck
    assert inner.calls == [("schedule", 1), ("cancel", 1)]
