"""The APScheduler timer on a real database: wake-ups run the escalation engine at their deadline, are
shared within the resolution, survive a restart, and run only on the leader among replicas."""

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

HOUR = timedelta(hours=1)


class EngineSpy:
    """Stands for the escalation engine: notes when it ran."""

    def __init__(self) -> None:
        self.runs: list[datetime] = []
        self.ran = threading.Event()

    def __call__(self) -> None:
        self.runs.append(datetime.now(UTC))
        self.ran.set()

    def ran_after(self, moment: datetime, timeout: float = 10) -> bool:
        """Wait for a run at or after `moment`."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if any(run >= moment for run in self.runs):
                return True
            time.sleep(0.01)
        return False


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    return migrated_engine


def started(engine: Engine, escalation: EngineSpy, sweep_interval: timedelta = HOUR) -> ApschedulerAckTimer:
    timer = ApschedulerAckTimer(engine, sweep_interval=sweep_interval)
    timer.start(escalation)
    return timer


def settled(timer: ApschedulerAckTimer) -> None:
    """Wait until the fired wake-ups are gone from the store: APScheduler removes a one-off job
    after handing it to a thread, and stopping it in between kills its thread."""
    deadline = time.monotonic() + 10
    while timer.pending() and time.monotonic() < deadline:
        time.sleep(0.01)


def soon(seconds: float = 0.3) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def woken_at_a_deadline(timer: ApschedulerAckTimer, escalation: EngineSpy) -> bool:
    """After the engine's pass at start, store a wake-up a moment ahead: did the engine run at it?"""
    assert escalation.ran.wait(10)
    deadline = soon(0.5)
    timer.schedule(IncidentId(7), Step(1, 2), deadline)
    woken = escalation.ran_after(deadline)
    settled(timer)
    return woken


def test_a_wake_up_runs_the_engine_at_its_deadline_not_before(engine: Engine) -> None:
    escalation = EngineSpy()
    timer = started(engine, escalation)  # the periodic pass runs at start, then not for an hour
    try:
        woken = woken_at_a_deadline(timer, escalation)
    finally:
        timer.shutdown()
    assert woken
    assert len(escalation.runs) == 2


def test_deadlines_within_the_resolution_share_one_stored_wake_up(engine: Engine) -> None:
    timer = ApschedulerAckTimer(engine, sweep_interval=HOUR, resolution=timedelta(seconds=1))
    base = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    try:
        timer.start(EngineSpy())
        timer.schedule(IncidentId(1), Step(0, 0), base + timedelta(milliseconds=100))
        timer.schedule(IncidentId(2), Step(0, 0), base + timedelta(milliseconds=900))
        timer.schedule(IncidentId(3), Step(0, 0), base + timedelta(milliseconds=1100))
        stored = timer.pending()
    finally:
        timer.shutdown()
    assert stored == [base + timedelta(seconds=1), base + timedelta(seconds=2)]


def test_a_wake_up_due_while_no_scheduler_ran_fires_at_the_next_start(engine: Engine) -> None:
    first = started(engine, EngineSpy())
    first.schedule(IncidentId(5), Step(0, 0), soon(2.0))
    assert len(first.pending()) == 1
    first.shutdown()  # down before the deadline
    time.sleep(2.5)  # the deadline passes while nothing runs

    second = started(engine, EngineSpy())
    try:
        settled(second)
        left = second.pending()
    finally:
        second.shutdown()
    assert left == []


def test_the_engine_runs_at_start_and_every_sweep_interval(engine: Engine) -> None:
    escalation = EngineSpy()
    timer = started(engine, escalation, sweep_interval=timedelta(milliseconds=200))
    try:
        assert escalation.ran_after(datetime.now(UTC) + timedelta(milliseconds=500))
    finally:
        timer.shutdown()
    assert len(escalation.runs) >= 2


def test_the_engine_thread_survives_a_failed_pass(engine: Engine) -> None:
    failures = iter([RuntimeError("database away")])
    escalation = EngineSpy()

    def flaky() -> None:
        escalation()
        if (failure := next(failures, None)) is not None:
            raise failure

    timer = ApschedulerAckTimer(engine, sweep_interval=HOUR)
    timer.start(flaky)  # its first pass, at start, fails
    try:
        woken = woken_at_a_deadline(timer, escalation)
    finally:
        timer.shutdown()
    assert woken


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


def with_switch(engine: Engine, escalation: EngineSpy) -> tuple[ApschedulerAckTimer, Switch]:
    switch = Switch()
    timer = ApschedulerAckTimer(engine, sweep_interval=HOUR, leadership=switch)
    timer.start(escalation)
    return timer, switch


@pytest.mark.postgres
def test_a_follower_stores_wake_ups_and_runs_none_until_it_leads(pg_engine: Engine) -> None:
    escalation = EngineSpy()
    timer, switch = with_switch(pg_engine, escalation)
    try:
        deadline = soon(0.1)
        timer.schedule(IncidentId(7), Step(0, 0), deadline)
        time.sleep(1.0)  # well past the deadline
        ran_while_following = list(escalation.runs)
        stored = timer.pending()

        switch.elect()
        assert escalation.ran_after(deadline)
        settled(timer)
    finally:
        timer.shutdown()
    assert (ran_while_following, len(stored)) == ([], 1)


@pytest.mark.postgres
def test_a_deposed_leader_runs_no_more_wake_ups(pg_engine: Engine) -> None:
    escalation = EngineSpy()
    timer, switch = with_switch(pg_engine, escalation)
    switch.elect()
    try:
        assert escalation.ran.wait(10)  # the pass at start
        switch.depose()
        timer.schedule(IncidentId(7), Step(0, 0), soon(0.1))
        time.sleep(1.0)
        runs_after_deposed = len(escalation.runs)
        stored = timer.pending()
    finally:
        timer.shutdown()
    assert (runs_after_deposed, len(stored)) == (1, 1)


@pytest.mark.postgres
def test_the_leader_runs_a_wake_up_another_replica_stored_while_it_slept(pg_engine: Engine) -> None:
    escalation = EngineSpy()
    leader, switch = with_switch(pg_engine, escalation)
    switch.elect()
    other_engine = make_engine(pg_engine.url.render_as_string(hide_password=False))
    # never elected; stored jobs wake the process's one engine, so both timers are given the same
    follower, _ = with_switch(other_engine, escalation)
    try:
        assert escalation.ran.wait(10)  # the pass at start
        time.sleep(0.2)  # the leader has looked at an empty store and gone to sleep
        deadline = soon(0.1)
        follower.schedule(IncidentId(9), Step(1, 0), deadline)

        # without polling it would sleep until its next pass, an hour away
        assert escalation.ran_after(deadline, timeout=5)
        settled(leader)
    finally:
        follower.shutdown()
        leader.shutdown()
        other_engine.dispose()


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
    escalation = EngineSpy()
    timer = started(engine, escalation)  # its first pass over the store fails
    try:
        deadline = soon(0.5)
        timer.schedule(IncidentId(3), Step(0, 0), deadline)

        assert escalation.ran_after(deadline)
        settled(timer)
    finally:
        timer.shutdown()


def test_the_job_store_shrugs_off_a_wake_up_another_replica_already_removed(engine: Engine) -> None:
    store = SharedJobStore(engine=engine)
    store.start(BackgroundScheduler(), "default")

    store.remove_job("deadlines-404")  # a scheduler thread that got JobLookupError here would die

    assert store.lookup_job("deadlines-404") is None
