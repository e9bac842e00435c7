"""One contract for the WakeUps the unit tests use and the APScheduler ones production uses: a wake-up runs
the engine at its moment and not before, once however often it was asked for, and at once when past."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest
from sqlalchemy import Engine

from adapters.apscheduler_wakeups import ApschedulerWakeUps
from adapters.clock import SystemClock
from domain.ports import WakeUps
from tests.fakes import FakeClock, FakeWakeUps

SETTLE = 1.0  # how long the real scheduler may take past a moment (its thread, the store, the worker)


class EngineSpy:
    """Stands for the engine: counts its passes."""

    def __init__(self) -> None:
        self.passes = 0
        self._lock = threading.Lock()

    def run_due(self) -> dict[str, int]:
        with self._lock:
            self.passes += 1
        return {}


class Driver(Protocol):
    wakeups: WakeUps
    engine: EngineSpy

    def now(self) -> datetime: ...

    def let_time_reach(self, moment: datetime) -> None:
        """Let time pass until `moment`, and the wake-ups due by then run."""
        ...


class FakeDriver:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.engine = EngineSpy()
        self.wakeups = fake = FakeWakeUps(self.clock)
        fake.engine = self.engine  # type: ignore[assignment]

    def now(self) -> datetime:
        return self.clock.now()

    def let_time_reach(self, moment: datetime) -> None:
        self.clock.current = max(self.clock.current, moment)
        self.wakeups.fire_due()


class ApschedulerDriver:
    def __init__(self, engine: Engine) -> None:
        self.engine = EngineSpy()
        self.wakeups = real = ApschedulerWakeUps(engine, SystemClock(), sweep_interval=timedelta(hours=1))
        real.start(self.engine.run_due)
        deadline = time.monotonic() + 10
        while self.engine.passes == 0 and time.monotonic() < deadline:  # its pass at start, on election
            time.sleep(0.01)
        self.engine.passes = 0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def let_time_reach(self, moment: datetime) -> None:
        time.sleep(max((moment - self.now()).total_seconds(), 0.0))
        time.sleep(SETTLE)


@pytest.fixture(params=["fake", "apscheduler"])
def driver(request: pytest.FixtureRequest, migrated_engine: Engine) -> Iterator[Driver]:
    if request.param == "fake":
        yield FakeDriver()
        return
    real = ApschedulerDriver(migrated_engine)
    yield real
    real.wakeups.stop()


def test_a_wake_up_runs_the_engine_at_its_moment_not_before(driver: Driver) -> None:
    moment = driver.now() + timedelta(seconds=2)
    driver.wakeups.at(moment)

    driver.let_time_reach(moment - timedelta(seconds=1.5))
    before = driver.engine.passes
    driver.let_time_reach(moment)

    assert (before, driver.engine.passes) == (0, 1)


def test_a_moment_asked_for_many_times_runs_the_engine_once(driver: Driver) -> None:
    moment = driver.now() + timedelta(seconds=1)
    for _ in range(5):
        driver.wakeups.at(moment)

    driver.let_time_reach(moment)

    assert driver.engine.passes == 1


def test_a_moment_already_past_runs_the_engine_at_once(driver: Driver) -> None:
    driver.wakeups.at(driver.now() - timedelta(minutes=5))

    driver.let_time_reach(driver.now())

    assert driver.engine.passes == 1


def test_nothing_asked_runs_nothing(driver: Driver) -> None:
    driver.let_time_reach(driver.now() + timedelta(seconds=1))

    assert driver.engine.passes == 0
