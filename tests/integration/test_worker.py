"""The background worker on a real thread: rounds when woken or due, one more round for wakes during one,
survives a failing round, stops after the round under way."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from adapters.worker import Worker

WAIT = 5.0


class Rounds:
    """A step that counts its rounds and can be held inside one, or made to fail once."""

    def __init__(self, after: float | None = None) -> None:
        self.count = 0
        self.after = after
        self.hold = threading.Event()
        self.hold.set()
        self.inside = threading.Event()
        self.fail_next = False
        self._done = threading.Condition()

    def __call__(self) -> float | None:
        self.inside.set()
        self.hold.wait(WAIT)
        with self._done:
            self.count += 1
            self._done.notify_all()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the database went away")
        return self.after

    def wait_for(self, count: int) -> bool:
        with self._done:
            return self._done.wait_for(lambda: self.count >= count, WAIT)


@pytest.fixture
def rounds() -> Rounds:
    return Rounds()


@pytest.fixture
def worker(rounds: Rounds) -> Iterator[Worker]:
    w = Worker("test-worker", rounds, restart_after=0.01)
    w.start()
    yield w
    w.stop(WAIT)


def test_a_worker_runs_a_round_at_start_then_waits_to_be_woken(worker: Worker, rounds: Rounds) -> None:
    assert rounds.wait_for(1)

    worker.wake()

    assert rounds.wait_for(2)


def test_wakes_during_a_round_make_one_more_round_not_one_each(worker: Worker, rounds: Rounds) -> None:
    assert rounds.wait_for(1)
    rounds.hold.clear()
    rounds.inside.clear()
    worker.wake()
    assert rounds.inside.wait(WAIT)  # round 2 is under way, held

    for _ in range(5):
        worker.wake()
    rounds.hold.set()

    assert rounds.wait_for(3)
    worker.stop(WAIT)
    assert rounds.count == 3


def test_a_round_runs_again_when_it_said_it_would() -> None:
    rounds = Rounds(after=0.01)
    worker = Worker("due", rounds)
    worker.start()
    try:
        assert rounds.wait_for(3)  # never woken: due again after each round
    finally:
        worker.stop(WAIT)


def test_a_wake_for_a_later_moment_waits_for_it(worker: Worker, rounds: Rounds) -> None:
    assert rounds.wait_for(1)
    started = time.monotonic()

    worker.wake(at=started + 0.2)

    assert rounds.wait_for(2)
    assert time.monotonic() - started >= 0.2


def test_a_failing_round_is_logged_and_the_worker_goes_on(worker: Worker, rounds: Rounds) -> None:
    assert rounds.wait_for(1)
    rounds.fail_next = True

    with capture_logs() as logs:
        worker.wake()
        assert rounds.wait_for(3)  # after the failure, a round of its own accord

    assert worker.running
    assert [(e["event"], e["worker"]) for e in logs] == [("background round failed", "test-worker")]


def test_stop_lets_the_round_under_way_finish(rounds: Rounds) -> None:
    worker = Worker("stopping", rounds)
    rounds.hold.clear()
    worker.start()
    assert rounds.inside.wait(WAIT)

    stopping = threading.Thread(target=worker.stop, args=(WAIT,))
    stopping.start()
    rounds.hold.set()
    stopping.join(WAIT)

    assert (rounds.count, worker.running) == (1, False)


def test_stop_gives_up_after_its_timeout_on_a_stuck_round(rounds: Rounds) -> None:
    worker = Worker("stuck", rounds)
    rounds.hold.clear()
    worker.start()
    assert rounds.inside.wait(WAIT)

    stopped = worker.stop(timeout=0.05)

    assert not stopped
    rounds.hold.set()
    assert worker.stop(WAIT)
