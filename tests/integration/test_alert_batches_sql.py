"""Pager.on_alerts over the SQL unit of work: a notification's alerts are stored together or not at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.exc import DBAPIError

from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
from adapters.db.tables import alerts, incidents, outbox
from domain.model import Alert
from domain.pager import AlertResult, Pager
from tests.fakes import FakeAckTimer, FakeClock
from tests.unit.conftest import make_catalog


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def make_pager(engine: Engine) -> tuple[Pager, FakeAckTimer]:
    clock = FakeClock()
    timer = FakeAckTimer(clock)
    return Pager(make_catalog(), lambda: SqlAlchemyUnitOfWork(engine), clock, timer), timer


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.postgres
def test_a_batch_whose_last_alert_the_database_refuses_stores_nothing(engine: Engine) -> None:
    pager, timer = make_pager(engine)
    # PostgreSQL refuses a dedup key longer than its column; the first alert was applied by then.
    batch = [Alert("disk full", dedup_key="disk"), Alert("cpu hot", dedup_key="k" * 600)]

    with pytest.raises(DBAPIError):
        pager.on_alerts("payments", batch)

    assert (count(engine, incidents), count(engine, alerts), count(engine, outbox)) == (0, 0, 0)
    assert timer.scheduled == {}


@pytest.mark.postgres
def test_a_batch_of_two_firing_alerts_stores_one_incident_with_both(engine: Engine) -> None:
    pager, timer = make_pager(engine)

    outcomes = pager.on_alerts(
        "payments", [Alert("disk full", dedup_key="disk"), Alert("cpu", dedup_key="cpu")]
    )

    assert [o.result for o in outcomes] == [AlertResult.OPENED, AlertResult.APPENDED]
    assert (count(engine, incidents), count(engine, alerts)) == (1, 2)
    assert list(timer.scheduled) == [outcomes[0].incident_id]
