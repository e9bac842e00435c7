"""Pager.on_alerts and on_alert_groups over SQL: one unit of work is stored together or not at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.exc import DBAPIError

from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
from adapters.db.tables import alerts, incidents, outbox
from domain.alerts import Alert, AlertStatus
from domain.events import AlertReceived
from domain.model import IncidentId
from domain.pager import AlertResult, Pager
from tests.fakes import FakeClock, FakeWakeUps
from tests.unit.conftest import make_catalog


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def make_pager(engine: Engine) -> tuple[Pager, FakeWakeUps]:
    clock = FakeClock()
    wakeups = FakeWakeUps(clock)
    return Pager(make_catalog(), lambda: SqlAlchemyUnitOfWork(engine), clock, wakeups), wakeups


def first_deadline(wakeups: FakeWakeUps) -> datetime:
    """When level 1 of an incident opened now stops waiting for an ack."""
    return wakeups.clock.now() + timedelta(minutes=15)


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.postgres
def test_a_batch_whose_last_alert_the_database_refuses_stores_nothing(engine: Engine) -> None:
    pager, wakeups = make_pager(engine)
    # PostgreSQL refuses a dedup key longer than its column; the first alert was applied by then.
    batch = [Alert("disk full", dedup_key="disk"), Alert("cpu hot", dedup_key="k" * 600)]

    with pytest.raises(DBAPIError):
        pager.on_alerts("payments", batch)

    assert (count(engine, incidents), count(engine, alerts), count(engine, outbox)) == (0, 0, 0)
    assert wakeups.moments == set()


@pytest.mark.postgres
def test_a_batch_of_two_firing_alerts_stores_one_incident_with_both(engine: Engine) -> None:
    pager, wakeups = make_pager(engine)

    outcomes = pager.on_alerts(
        "payments", [Alert("disk full", dedup_key="disk"), Alert("cpu", dedup_key="cpu")]
    )

    assert [o.result for o in outcomes] == [AlertResult.OPENED, AlertResult.APPENDED]
    assert (count(engine, incidents), count(engine, alerts)) == (1, 2)
    assert wakeups.moments == {first_deadline(wakeups)}


def received_keys(engine: Engine, incident_id: int) -> list[str]:
    with SqlAlchemyUnitOfWork(engine) as uow:
        found = [e for e in uow.timeline.of(IncidentId(incident_id)) if isinstance(e, AlertReceived)]
        return [e.dedup_key or "-" for e in found]


@pytest.mark.postgres
def test_groups_of_several_requests_commit_together_each_with_its_own_outcome(engine: Engine) -> None:
    pager, wakeups = make_pager(engine)

    outcomes = pager.on_alert_groups(
        [
            ("payments", [Alert("disk full", dedup_key="disk")]),
            ("search", [Alert("slow", dedup_key="slow")]),
            ("payments", [Alert("disk full", dedup_key="disk"), Alert("cpu", dedup_key="cpu")]),
            ("payments", [Alert("healthy", AlertStatus.RESOLVED)]),
            ("payments", [Alert("disk full again", dedup_key="disk")]),
        ]
    )

    assert [[(o.incident_id, o.result.value) for o in group] for group in outcomes] == [
        [(1, "opened")],
        [(2, "opened")],
        [(1, "appended"), (1, "appended")],
        [(1, "resolved")],
        [(3, "opened")],
    ]
    assert received_keys(engine, 1) == ["disk", "disk", "cpu", "-"]
    assert wakeups.moments == {first_deadline(wakeups)}  # incidents 2 and 3 wait for an ack


@pytest.mark.postgres
def test_groups_naming_services_in_opposite_orders_do_not_deadlock(engine: Engine) -> None:
    pager, _ = make_pager(engine)
    failures: list[BaseException] = []

    def send(services: list[str]) -> None:
        try:
            for n in range(15):
                pager.on_alert_groups([(s, [Alert(f"{s} {n}", dedup_key=str(n))]) for s in services])
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=send, args=(order,))
        for order in (["payments", "search"], ["search", "payments"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert count(engine, alerts) == 2 * 15
