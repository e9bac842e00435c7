"""The APScheduler timer on a real database: wake-ups fire, survive a restart, and can be cancelled."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from adapters.apscheduler_timer import ApschedulerAckTimer
from domain.model import IncidentId, Step


class Recorder:
    def __init__(self) -> None:
        self.fired: list[tuple[IncidentId, Step]] = []
        self.event = threading.Event()

    def __call__(self, incident_id: IncidentId, step: Step) -> None:
        self.fired.append((incident_id, step))
        self.event.set()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    return migrated_engine


def started(engine: Engine, recorder: Recorder) -> ApschedulerAckTimer:
    timer = ApschedulerAckTimer(engine, sweep_interval=timedelta(hours=1))
    timer.start(recorder, sweep=lambda: None)
    return timer


def settled(timer: ApschedulerAckTimer, *incidents: int) -> None:
    """Wait until the fired wake-ups are gone from the store: APScheduler removes a one-off job
    after handing it to a thread, and stopping it in between kills its thread."""
    deadline = time.monotonic() + 10
    while any(timer.pending(IncidentId(i)) for i in incidents) and time.monotonic() < deadline:
        time.sleep(0.01)


def soon(seconds: float = 0.3) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_scheduled_wake_up_fires_with_its_incident_and_step(engine: Engine) -> None:
    recorder = Recorder()
    timer = started(engine, recorder)
    try:
        timer.schedule(IncidentId(7), Step(1, 2), soon())

        assert recorder.event.wait(10)
        settled(timer, 7)
    finally:
        timer.shutdown()
    assert recorder.fired == [(IncidentId(7), Step(1, 2))]


def test_a_cancelled_wake_up_does_not_fire(engine: Engine) -> None:
    recorder = Recorder()
    timer = started(engine, recorder)
    try:
        timer.schedule(IncidentId(7), Step(0, 0), soon(0.5))
        timer.cancel(IncidentId(7))
        timer.schedule(IncidentId(8), Step(0, 0), soon(1.0))

        assert recorder.event.wait(10)
        settled(timer, 8)
    finally:
        timer.shutdown()
    assert recorder.fired == [(IncidentId(8), Step(0, 0))]


def test_rescheduling_an_incident_replaces_its_wake_up(engine: Engine) -> None:
    recorder = Recorder()
    timer = started(engine, recorder)
    try:
        timer.schedule(IncidentId(7), Step(0, 0), soon(0.3))
        timer.schedule(IncidentId(7), Step(1, 0), soon(0.6))

        assert recorder.event.wait(10)
        timer.schedule(IncidentId(99), Step(0, 0), soon(0.8))  # a marker after which nothing else may come
        recorder.event.clear()
        assert recorder.event.wait(10)
        settled(timer, 7, 99)
    finally:
        timer.shutdown()
    assert recorder.fired == [(IncidentId(7), Step(1, 0)), (IncidentId(99), Step(0, 0))]


def test_a_wake_up_due_while_no_scheduler_ran_fires_at_the_next_start(engine: Engine) -> None:
    early = Recorder()
    first = started(engine, early)
    first.schedule(IncidentId(5), Step(0, 0), soon(2.0))
    assert first.pending(IncidentId(5)) is not None
    first.shutdown()  # down before the deadline
    time.sleep(2.5)  # the deadline passes while nothing runs

    recorder = Recorder()
    second = started(engine, recorder)
    try:
        assert recorder.event.wait(10)
        settled(second, 5)
    finally:
        second.shutdown()
    assert early.fired == []
    assert recorder.fired == [(IncidentId(5), Step(0, 0))]


def test_the_sweep_runs_at_start(engine: Engine) -> None:
    swept = threading.Event()
    timer = ApschedulerAckTimer(engine, sweep_interval=timedelta(hours=1))
    timer.start(Recorder(), sweep=swept.set)
    try:
        assert swept.wait(10)
    finally:
        timer.shutdown()
