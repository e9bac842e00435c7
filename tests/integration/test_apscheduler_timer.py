"""The APScheduler timer on a real database: wake-ups fire, survive a restart, can be cancelled, and
run only on the leader among replicas."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from adapters.apscheduler_timer import ApschedulerAckTimer, SharedJobStore
from adapters.db import make_engine, upgrade
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


class Switch:
    """Leadership the test hands out and takes back by hand."""

    def __init__(self) -> None:
        self.on_elected: Callable[[], None] = lambda: None
        self.on_deposed: Callable[[], None] = lambda: None
        self.is_leader = False

    def start(self, on_elected: Callable[[], None], on_deposed: Callable[[], None]) -> None:
        self.on_elected, self.on_deposed = on_elected, on_deposed

    def stop(self) -> None:
        self.depose()

    def elect(self) -> None:
        self.is_leader = True
        self.on_elected()

    def depose(self) -> None:
        self.is_leader = False
        self.on_deposed()

    def leader_known(self) -> bool:
        return True


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def with_switch(engine: Engine, recorder: Recorder) -> tuple[ApschedulerAckTimer, Switch]:
    switch = Switch()
    timer = ApschedulerAckTimer(engine, sweep_interval=timedelta(hours=1), leadership=switch)
    timer.start(recorder, sweep=lambda: None)
    return timer, switch


@pytest.mark.postgres
def test_a_follower_stores_wake_ups_and_runs_none_until_it_leads(pg_engine: Engine) -> None:
    recorder = Recorder()
    timer, switch = with_switch(pg_engine, recorder)
    try:
        timer.schedule(IncidentId(7), Step(0, 0), soon(0.1))
        time.sleep(1.0)  # well past the deadline
        fired_while_following = list(recorder.fired)
        stored = timer.pending(IncidentId(7))

        switch.elect()
        assert recorder.event.wait(10)
        settled(timer, 7)
    finally:
        timer.shutdown()
    assert (fired_while_following, stored is not None) == ([], True)
    assert recorder.fired == [(IncidentId(7), Step(0, 0))]


@pytest.mark.postgres
def test_a_deposed_leader_runs_no_more_wake_ups(pg_engine: Engine) -> None:
    recorder = Recorder()
    timer, switch = with_switch(pg_engine, recorder)
    switch.elect()
    try:
        switch.depose()
        timer.schedule(IncidentId(7), Step(0, 0), soon(0.1))
        time.sleep(1.0)
        fired_after_deposed = list(recorder.fired)
        stored = timer.pending(IncidentId(7))
    finally:
        timer.shutdown()
    assert (fired_after_deposed, stored is not None) == ([], True)


@pytest.mark.postgres
def test_the_leader_runs_a_wake_up_another_replica_stored_while_it_slept(pg_engine: Engine) -> None:
    recorder = Recorder()
    leader, switch = with_switch(pg_engine, recorder)
    switch.elect()
    other_engine = make_engine(pg_engine.url.render_as_string(hide_password=False))
    follower, _ = with_switch(other_engine, recorder)  # never elected; the same handler is fine here
    try:
        time.sleep(0.2)  # the leader has looked at an empty store and gone to sleep
        follower.schedule(IncidentId(9), Step(1, 0), soon(0.1))

        assert recorder.event.wait(5)  # without polling it would sleep until its next sweep, an hour away
        settled(leader, 9)
    finally:
        follower.shutdown()
        leader.shutdown()
        other_engine.dispose()
    assert recorder.fired == [(IncidentId(9), Step(1, 0))]


def test_the_scheduler_survives_a_database_error_in_a_pass(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = iter([OperationalError("SELECT", {}, Exception("server closed the connection"))])
    original = SharedJobStore.get_next_run_time

    def flaky(store: SharedJobStore) -> datetime | None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        found: datetime | None = original(store)
        return found

    monkeypatch.setattr(SharedJobStore, "get_next_run_time", flaky)
    recorder = Recorder()
    timer = started(engine, recorder)  # its first pass fails
    try:
        timer.schedule(IncidentId(3), Step(0, 0), soon(0.5))

        assert recorder.event.wait(10)
        settled(timer, 3)
    finally:
        timer.shutdown()
    assert recorder.fired == [(IncidentId(3), Step(0, 0))]


def test_the_job_store_shrugs_off_a_wake_up_another_replica_already_removed(engine: Engine) -> None:
    store = SharedJobStore(engine=engine)
    store.start(BackgroundScheduler(), "default")

    store.remove_job("ack-timeout-404")  # a scheduler thread that got JobLookupError here would die

    assert store.lookup_job("ack-timeout-404") is None
