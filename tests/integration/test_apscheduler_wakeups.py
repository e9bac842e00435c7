"""APScheduler wake-ups on a real database: they run the engine at their moment, are shared within the
resolution, survive a restart, and run only on the leader among replicas."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from adapters.apscheduler_wakeups import ApschedulerWakeUps, SharedJobStore
from adapters.clock import SystemClock
from adapters.db import make_engine, upgrade

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


def started(engine: Engine, escalation: EngineSpy, sweep_interval: timedelta = HOUR) -> ApschedulerWakeUps:
    wakeups = ApschedulerWakeUps(engine, SystemClock(), sweep_interval=sweep_interval)
    wakeups.start(escalation)
    return wakeups


def settled(wakeups: ApschedulerWakeUps) -> None:
    """Wait until the fired wake-ups are gone from the store: APScheduler removes a one-off job
    after handing it to a thread, and stopping it in between kills its thread. A wake-up asked for is
    stored by a worker of its own, a moment later."""
    time.sleep(0.05)
    deadline = time.monotonic() + 10
    while wakeups.pending() and time.monotonic() < deadline:
        time.sleep(0.01)


def stored(wakeups: ApschedulerWakeUps, count: int) -> list[datetime]:
    """The stored wake-ups, once `count` of them are (a worker stores what `at` was asked, a moment later)."""
    deadline = time.monotonic() + 10
    while len(wakeups.pending()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return wakeups.pending()


def soon(seconds: float = 0.3) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def woken_at_a_deadline(wakeups: ApschedulerWakeUps, escalation: EngineSpy) -> bool:
    """After the engine's pass at start, store a wake-up a moment ahead: did the engine run at it?"""
    assert escalation.ran.wait(10)
    deadline = soon(0.5)
    wakeups.at(deadline)
    woken = escalation.ran_after(deadline)
    settled(wakeups)
    return woken


def test_a_wake_up_runs_the_engine_at_its_deadline_not_before(engine: Engine) -> None:
    escalation = EngineSpy()
    wakeups = started(engine, escalation)  # the periodic pass runs at start, then not for an hour
    try:
        woken = woken_at_a_deadline(wakeups, escalation)
    finally:
        wakeups.stop()
    assert woken
    assert len(escalation.runs) == 2


def test_a_deadline_asked_for_here_runs_the_engine_without_waiting_for_its_stored_wake_up(
    engine: Engine,
) -> None:
    escalation = EngineSpy()
    # Stored wake-ups rounded up to the hour: one cannot be what runs the engine in this test.
    wakeups = ApschedulerWakeUps(engine, SystemClock(), sweep_interval=HOUR, resolution=HOUR)
    wakeups.start(escalation)
    try:
        assert escalation.ran.wait(10)  # the pass at start
        deadline = soon(0.5)
        wakeups.at(deadline)
        woken = escalation.ran_after(deadline)
        left = stored(wakeups, 1)
    finally:
        wakeups.stop()
    assert woken
    assert len(left) == 1  # still stored, for a process taking over after a crash


def test_deadlines_within_the_precision_share_one_pass_of_the_engine(engine: Engine) -> None:
    escalation = EngineSpy()
    wakeups = ApschedulerWakeUps(
        engine, SystemClock(), sweep_interval=HOUR, resolution=HOUR, precision=timedelta(seconds=1)
    )
    wakeups.start(escalation)
    try:
        assert escalation.ran.wait(10)  # the pass at start
        base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        for ms in (100, 400, 900):
            wakeups.at(base + timedelta(milliseconds=ms))
        assert escalation.ran_after(base + timedelta(seconds=1))
        time.sleep(0.3)  # a second pass for the same second would come now
    finally:
        wakeups.stop()
    assert len(escalation.runs) == 2


def test_deadlines_within_the_resolution_share_one_stored_wake_up(engine: Engine) -> None:
    wakeups = ApschedulerWakeUps(engine, SystemClock(), sweep_interval=HOUR, resolution=timedelta(seconds=1))
    base = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    try:
        wakeups.start(EngineSpy())
        wakeups.at(base + timedelta(milliseconds=100))
        wakeups.at(base + timedelta(milliseconds=900))
        wakeups.at(base + timedelta(milliseconds=1100))
        found = stored(wakeups, 2)
    finally:
        wakeups.stop()
    assert found == [base + timedelta(seconds=1), base + timedelta(seconds=2)]


def test_a_wake_up_due_while_no_scheduler_ran_fires_at_the_next_start(engine: Engine) -> None:
    first = started(engine, EngineSpy())
    first.at(soon(2.0))
    assert len(stored(first, 1)) == 1
    first.stop()  # down before the deadline
    time.sleep(2.5)  # the deadline passes while nothing runs

    second = started(engine, EngineSpy())
    try:
        settled(second)
        left = second.pending()
    finally:
        second.stop()
    assert left == []


def test_the_engine_runs_at_start_and_every_sweep_interval(engine: Engine) -> None:
    escalation = EngineSpy()
    wakeups = started(engine, escalation, sweep_interval=timedelta(milliseconds=200))
    try:
        assert escalation.ran_after(datetime.now(UTC) + timedelta(milliseconds=500))
    finally:
        wakeups.stop()
    assert len(escalation.runs) >= 2


def test_the_engine_thread_survives_a_failed_pass(engine: Engine) -> None:
    failures = iter([RuntimeError("database away")])
    escalation = EngineSpy()

    def flaky() -> None:
        escalation()
        if (failure := next(failures, None)) is not None:
            raise failure

    wakeups = ApschedulerWakeUps(engine, SystemClock(), sweep_interval=HOUR)
    wakeups.start(flaky)  # its first pass, at start, fails
    try:
        woken = woken_at_a_deadline(wakeups, escalation)
    finally:
        wakeups.stop()
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


def with_switch(engine: Engine, escalation: EngineSpy) -> tuple[ApschedulerWakeUps, Switch]:
    switch = Switch()
    wakeups = ApschedulerWakeUps(engine, SystemClock(), sweep_interval=HOUR, leadership=switch)
    wakeups.start(escalation)
    return wakeups, switch


@pytest.mark.postgres
def test_a_follower_stores_wake_ups_and_runs_none_until_it_leads(pg_engine: Engine) -> None:
    escalation = EngineSpy()
    wakeups, switch = with_switch(pg_engine, escalation)
    try:
        deadline = soon(0.1)
        wakeups.at(deadline)
        time.sleep(1.0)  # well past the deadline
        ran_while_following = list(escalation.runs)
        waiting = stored(wakeups, 1)

        switch.elect()
        assert escalation.ran_after(deadline)
        settled(wakeups)
    finally:
        wakeups.stop()
    assert (ran_while_following, len(waiting)) == ([], 1)


@pytest.mark.postgres
def test_a_deposed_leader_runs_no_more_wake_ups(pg_engine: Engine) -> None:
    escalation = EngineSpy()
    wakeups, switch = with_switch(pg_engine, escalation)
    switch.elect()
    try:
        assert escalation.ran.wait(10)  # the pass at start
        switch.depose()
        wakeups.at(soon(0.1))
        time.sleep(1.0)
        runs_after_deposed = len(escalation.runs)
        waiting = stored(wakeups, 1)
    finally:
        wakeups.stop()
    assert (runs_after_deposed, len(waiting)) == (1, 1)


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
        follower.at(deadline)

        # without polling it would sleep until its next pass, an hour away
        assert escalation.ran_after(deadline, timeout=5)
        settled(leader)
    finally:
        follower.stop()
        leader.stop()
        other_engine.dispose()


def test_the_scheduler_survives_a_database_error_in_a_pass(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = iter([OperationalError("SELECT", {}, Exception("server closed the connection"))])
    original = SQLAlchemyJobStore.get_next_run_time

    def flaky(store: SQLAlchemyJobStore) -> datetime | None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        found: datetime | None = original(store)
        return found

    monkeypatch.setattr(SQLAlchemyJobStore, "get_next_run_time", flaky)
    escalation = EngineSpy()
    wakeups = started(engine, escalation)  # its first pass over the store fails
    try:
        deadline = soon(0.5)
        wakeups.at(deadline)

        assert escalation.ran_after(deadline)
        settled(wakeups)
    finally:
        wakeups.stop()


def test_the_job_store_shrugs_off_a_wake_up_another_replica_already_removed(engine: Engine) -> None:
    store = SharedJobStore(engine=engine)
    store.start(BackgroundScheduler(), "default")

    store.remove_job("wake-up-404")  # a scheduler thread that got JobLookupError here would die

    assert store.lookup_job("wake-up-404") is None
