"""Leader election on a real PostgreSQL: one leader at a time, handed over when it goes away."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from adapters.db import make_engine
from adapters.db.leadership import PostgresLeaderElector

pytestmark = pytest.mark.postgres

INTERVAL = 0.1  # fast rounds; the settle time before leading is two of them


class Member:
    """One replica's elector, recording what it was told."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.name = name
        self.elector = PostgresLeaderElector(engine, interval=INTERVAL)
        self.told: list[str] = []
        self.leading = threading.Event()

    def start(self) -> Member:
        self.elector.start(on_elected=self._elected, on_deposed=self._deposed)
        return self

    def _elected(self) -> None:
        self.told.append("elected")
        self.leading.set()

    def _deposed(self) -> None:
        self.told.append("deposed")
        self.leading.clear()


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def members(engine: Engine) -> Iterator[Callable[[str], Member]]:
    made: list[Member] = []

    def make(name: str) -> Member:
        made.append(Member(engine, name).start())
        return made[-1]

    yield make
    for member in made:
        member.elector.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def leaders(*group: Member) -> list[str]:
    return [m.name for m in group if m.elector.is_leader]


def lock_holder_pid(engine: Engine) -> int:
    query = text(
        "SELECT pid FROM pg_stat_activity"
        " WHERE application_name = 'pager-leader-election' AND datname = current_database()"
    )
    with engine.connect() as conn:
        pids = [int(pid) for pid in conn.execute(query).scalars()]
        held = text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ANY(:pids)")
        return int(conn.execute(held, {"pids": pids}).scalar_one())


def test_of_two_electors_exactly_one_leads(members: Callable[[str], Member]) -> None:
    a, b = members("a"), members("b")

    wait_for(lambda: len(leaders(a, b)) == 1)
    time.sleep(10 * INTERVAL)  # many rounds in which the other could wrongly take over

    assert len(leaders(a, b)) == 1
    assert sorted([a.told, b.told]) == [[], ["elected"]]


def test_a_leader_that_stops_hands_over_to_the_other(members: Callable[[str], Member]) -> None:
    a, b = members("a"), members("b")
    wait_for(lambda: len(leaders(a, b)) == 1)
    first, second = (a, b) if a.elector.is_leader else (b, a)

    first.elector.stop()

    assert first.told == ["elected", "deposed"]
    assert second.leading.wait(10)
    assert leaders(a, b) == [second.name]


def test_the_lock_is_freed_when_the_leaders_connection_closes(
    engine: Engine, members: Callable[[str], Member]
) -> None:
    a = members("a")
    assert a.leading.wait(10)
    assert a.elector.leader_known()

    a.elector.stop()

    # the server ends the closed session's backend, and frees its locks, a moment after the client left
    wait_for(lambda: not a.elector.leader_known())


def test_a_leader_whose_connection_is_killed_stops_leading_and_another_takes_over(
    engine: Engine, members: Callable[[str], Member]
) -> None:
    a, b = members("a"), members("b")
    wait_for(lambda: len(leaders(a, b)) == 1)
    first, second = (a, b) if a.elector.is_leader else (b, a)

    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lock_holder_pid(engine)})

    wait_for(lambda: "deposed" in first.told)
    assert second.leading.wait(10)
    assert leaders(a, b) == [second.name]
    assert first.told == ["elected", "deposed"]


def test_another_replica_holding_the_lock_counts_as_a_known_leader(members: Callable[[str], Member]) -> None:
    a, b = members("a"), members("b")
    wait_for(lambda: len(leaders(a, b)) == 1)
    follower = b if a.elector.is_leader else a

    assert not follower.elector.is_leader
    assert follower.elector.leader_known()
