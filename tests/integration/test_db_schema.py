"""The SQL schema: engines, migrations, and the rules the database itself enforces."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, Table, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from adapters.db import SqlAlchemyUnitOfWork, is_current, make_engine, upgrade
from adapters.db.migrate import head_revision, include_object
from adapters.db.tables import incidents, metadata
from domain.model import Incident, IncidentId, IncidentState, ServiceId
from tests.fakes import T0

PAGER_TABLES = {
    "service_states",
    "incidents",
    "alerts",
    "timeline",
    "outbox",
    "sms_inbound",
    "slack_messages",
    "slack_card_refreshes",
    "slack_thread_replies",
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_upgrade_creates_every_table(engine: Engine) -> None:
    upgrade(engine)

    assert set(inspect(engine).get_table_names()) >= PAGER_TABLES


def test_an_empty_database_is_not_current(engine: Engine) -> None:
    assert not is_current(engine)


def test_a_migrated_database_is_current(engine: Engine) -> None:
    upgrade(engine)

    assert is_current(engine)


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    upgrade(engine)

    upgrade(engine)

    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (head_revision(),)


def test_simultaneous_upgrades_migrate_once(engine: Engine) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert is_current(engine)


def test_migrations_build_exactly_the_tables_module(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, metadata) == []


def test_migrations_leave_the_apscheduler_table_alone(migrated_engine: Engine) -> None:
    foreign = MetaData()
    Table("apscheduler_jobs", foreign, Column("id", Integer, primary_key=True))
    foreign.create_all(migrated_engine)

    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        assert compare_metadata(context, metadata) == []


def test_a_service_cannot_have_two_open_incidents(migrated_engine: Engine) -> None:
    with SqlAlchemyUnitOfWork(migrated_engine) as uow:
        uow.incidents.add(Incident(IncidentId(0), ServiceId("payments"), "down", opened_at=T0))
        with pytest.raises(IntegrityError):
            uow.incidents.add(Incident(IncidentId(0), ServiceId("payments"), "down again", opened_at=T0))


def test_a_service_can_have_many_resolved_incidents(migrated_engine: Engine) -> None:
    resolved = IncidentState.RESOLVED
    with SqlAlchemyUnitOfWork(migrated_engine) as uow:
        for summary in ("first", "second", "open"):
            state = IncidentState.TRIGGERED if summary == "open" else resolved
            uow.incidents.add(
                Incident(IncidentId(0), ServiceId("payments"), summary, opened_at=T0, state=state)
            )
        uow.commit()
        assert len(uow.incidents.list(list(IncidentState))) == 3


def test_naive_datetimes_are_refused(migrated_engine: Engine) -> None:
    naive = datetime(2026, 11, 30, 9, 0)
    with SqlAlchemyUnitOfWork(migrated_engine) as uow, pytest.raises(StatementError, match="naive datetime"):
        uow.incidents.add(Incident(IncidentId(0), ServiceId("payments"), "down", opened_at=naive))


def test_the_incidents_level_column_stores_level_1_as_0(migrated_engine: Engine) -> None:
    """The column counts from 0 for replicas of the version before, which may run beside this one."""
    with SqlAlchemyUnitOfWork(migrated_engine) as uow:
        uow.incidents.add(Incident(IncidentId(0), ServiceId("payments"), "down", opened_at=T0, level=1))
        uow.commit()

    with migrated_engine.connect() as conn:
        assert conn.execute(select(incidents.c.level)).scalar_one() == 0


def test_an_incident_stored_at_level_0_reads_back_at_level_1(migrated_engine: Engine) -> None:
    with migrated_engine.begin() as conn:
        conn.execute(
            incidents.insert().values(
                service_id="payments",
                summary="down",
                state="triggered",
                level=0,
                round=0,
                exhausted=False,
                opened_at=T0,
            )
        )

    with SqlAlchemyUnitOfWork(migrated_engine) as uow:
        [incident] = uow.incidents.list([IncidentState.TRIGGERED])

    assert incident.level == 1


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        settings = [
            conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("journal_mode", "foreign_keys")
        ]
    engine.dispose()

    assert settings == ["wal", 1]


@pytest.mark.parametrize("url", ["postgres://u@db.example/pager", "postgresql://u@db.example/pager"])
def test_postgres_urls_use_psycopg_3(url: str) -> None:
    engine = make_engine(url)

    assert (engine.url.drivername, engine.url.host, engine.url.database) == (
        "postgresql+psycopg",
        "db.example",
        "pager",
    )


@pytest.mark.parametrize("url", ["mysql://u@db.example/pager", "sqlite://", "sqlite:///:memory:"])
def test_unsupported_databases_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        make_engine(url)
