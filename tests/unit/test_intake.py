"""Group commit: concurrent requests' alerts share one unit of work, and each request gets its own answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from datetime import datetime

import pytest

from bot.intake import AlertIntake, IntakeStopped
from domain.alerts import Alert, AlertStatus
from domain.errors import UnknownService
from domain.model import IncidentId
from domain.pager import AlertGroup, AlertOutcome, AlertResult, Pager
from tests.fakes import InMemoryUnitOfWork, MemoryStore, _Alerts
from tests.unit.conftest import World

WAIT = 10  # seconds; only reached when the behaviour under test is broken


class GatedPager:
    """The real pager, whose first group waits at a gate, so that later requests queue up behind it."""

    def __init__(self, pager: Pager) -> None:
        self.pager = pager
        self.groups: list[int] = []
        self.entered = threading.Event()
        self.gate = threading.Event()

    def on_alerts(self, service_id: str, alerts: Sequence[Alert]) -> list[AlertOutcome]:
        return self.pager.on_alerts(service_id, alerts)

    def on_alert_groups(self, groups: Sequence[AlertGroup]) -> list[list[AlertOutcome]]:
        self.groups.append(len(groups))
        self.entered.set()
        assert self.gate.wait(WAIT)
        return self.pager.on_alert_groups(groups)


@pytest.fixture
def gated(world: World) -> GatedPager:
    return GatedPager(world.pager)


@pytest.fixture
def intake(gated: GatedPager) -> Iterator[AlertIntake]:
    intake = AlertIntake(gated, workers=1)
    yield intake
    gated.gate.set()
    intake.stop()


def hold_first_group(intake: AlertIntake, gated: GatedPager) -> Future[list[AlertOutcome]]:
    """Submit one alert and wait until the worker is busy with it."""
    first = intake.submit("payments", [Alert("first", dedup_key="first")])
    assert gated.entered.wait(WAIT)
    return first


def answers(futures: Sequence[Future[list[AlertOutcome]]]) -> list[list[AlertOutcome]]:
    return [f.result(WAIT) for f in futures]


def test_requests_that_wait_meanwhile_are_committed_as_one_group(
    intake: AlertIntake, gated: GatedPager
) -> None:
    first = hold_first_group(intake, gated)
    waiting = [intake.submit("payments", [Alert(f"again {n}", dedup_key=f"k{n}")]) for n in range(3)]

    gated.gate.set()
    answers([first, *waiting])

    assert gated.groups == [1, 3]


def test_an_idle_intake_commits_a_lone_alert_without_waiting_for_company(world: World) -> None:
    intake = AlertIntake(world.pager, workers=1)
    try:
        [outcome] = intake.submit("payments", [Alert("disk full")]).result(WAIT)
    finally:
        intake.stop()

    assert outcome == AlertOutcome(IncidentId(1), AlertResult.OPENED)


def test_each_request_gets_the_outcome_of_its_own_alerts(
    intake: AlertIntake, gated: GatedPager, world: World
) -> None:
    first = hold_first_group(intake, gated)
    search = intake.submit("search", [Alert("slow", dedup_key="slow")])
    payments = intake.submit("payments", [Alert("still failing", dedup_key="first")])
    resolved = intake.submit("search", [Alert("ok", AlertStatus.RESOLVED, dedup_key="slow")])

    gated.gate.set()

    assert answers([first, search, payments, resolved]) == [
        [AlertOutcome(IncidentId(1), AlertResult.OPENED)],
        [AlertOutcome(IncidentId(2), AlertResult.OPENED)],
        [AlertOutcome(IncidentId(1), AlertResult.APPENDED)],
        [AlertOutcome(IncidentId(2), AlertResult.RESOLVED)],
    ]
    assert gated.groups == [1, 3]


def test_a_request_given_up_before_it_was_taken_is_not_applied(
    intake: AlertIntake, gated: GatedPager, world: World
) -> None:
    first = hold_first_group(intake, gated)
    abandoned = intake.submit("search", [Alert("slow")])
    kept = intake.submit("payments", [Alert("again", dedup_key="first")])

    assert abandoned.cancel()
    gated.gate.set()
    answers([first, kept])

    assert [i.service_id for i in world.store.incidents.values()] == ["payments"]
    assert gated.groups == [1, 1]


def test_a_request_for_an_unknown_service_fails_alone(
    intake: AlertIntake, gated: GatedPager, world: World
) -> None:
    first = hold_first_group(intake, gated)
    good = intake.submit("search", [Alert("slow")])
    bad = intake.submit("billing", [Alert("down")])

    gated.gate.set()

    assert answers([first, good])[1] == [AlertOutcome(IncidentId(2), AlertResult.OPENED)]
    with pytest.raises(UnknownService):
        bad.result(WAIT)


class PoisonedUnitOfWork(InMemoryUnitOfWork):
    """Storing an alert whose dedup key is "poison" fails, as a database refusing a value would."""

    def _begin(self) -> None:
        super()._begin()
        self.alerts = PoisonedAlerts(self._work)


class PoisonedAlerts(_Alerts):
    def record(self, incident_id: IncidentId, alert: Alert, at: datetime) -> None:
        if alert.dedup_key == "poison":
            raise ValueError("refused by the database")
        super().record(incident_id, alert, at)


def test_an_alert_that_fails_in_the_unit_of_work_fails_only_its_request(world: World) -> None:
    store = MemoryStore()
    gated = GatedPager(
        Pager(world.pager.catalog, lambda: PoisonedUnitOfWork(store), world.clock, world.wakeups)
    )
    intake = AlertIntake(gated, workers=1)
    try:
        first = hold_first_group(intake, gated)
        before = intake.submit("search", [Alert("slow", dedup_key="slow")])
        poisoned = intake.submit("payments", [Alert("bad", dedup_key="poison")])
        after = intake.submit("payments", [Alert("again", dedup_key="first")])
        gated.gate.set()

        with pytest.raises(ValueError, match="refused"):
            poisoned.result(WAIT)
        outcomes = answers([first, before, after])
    finally:
        gated.gate.set()
        intake.stop()

    assert [o[0].result for o in outcomes] == [AlertResult.OPENED, AlertResult.OPENED, AlertResult.APPENDED]
    received = [e for events in store.timeline.values() for e in events if e.kind == "AlertReceived"]
    assert sorted(e.dedup_key or "" for e in received) == ["first", "first", "slow"]


class GatedCommitUnitOfWork(InMemoryUnitOfWork):
    """Its commit waits at a gate, to look at the request while the commit has not happened."""

    committing = threading.Event()
    gate = threading.Event()

    def commit(self) -> None:
        type(self).committing.set()
        assert type(self).gate.wait(WAIT)
        super().commit()


def test_no_request_is_answered_before_its_alerts_are_committed(world: World) -> None:
    store = MemoryStore()
    pager = Pager(world.pager.catalog, lambda: GatedCommitUnitOfWork(store), world.clock, world.wakeups)
    intake = AlertIntake(pager, workers=1)
    try:
        answer = intake.submit("payments", [Alert("disk full")])
        assert GatedCommitUnitOfWork.committing.wait(WAIT)
        answered_before_commit = answer.done()
        stored_before_commit = dict(store.incidents)
        GatedCommitUnitOfWork.gate.set()
        outcome = answer.result(WAIT)
    finally:
        GatedCommitUnitOfWork.gate.set()
        intake.stop()

    assert (answered_before_commit, stored_before_commit) == (False, {})
    assert outcome == [AlertOutcome(IncidentId(1), AlertResult.OPENED)]
    assert IncidentId(1) in store.incidents


def test_stopping_answers_what_was_queued_and_refuses_what_comes_after(
    intake: AlertIntake, gated: GatedPager
) -> None:
    first = hold_first_group(intake, gated)
    queued = intake.submit("search", [Alert("slow")])
    stopping = threading.Thread(target=intake.stop)
    stopping.start()

    gated.gate.set()
    stopping.join(WAIT)

    assert [o[0].result for o in answers([first, queued])] == [AlertResult.OPENED, AlertResult.OPENED]
    with pytest.raises(IntakeStopped):
        intake.submit("search", [Alert("slow again")])
