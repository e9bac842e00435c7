"""Migration 0005 on a database holding alerts: each gets its incident's service, and it can be undone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

import adapters.db
from adapters.db import make_engine, upgrade

MIGRATIONS = Path(adapters.db.__file__).resolve().parent / "migrations"
ADD_INCIDENT = text(
    "INSERT INTO incidents (id, service_id, summary, state, level, round, exhausted, opened_at) "
    "VALUES (:id, :service, 'down', 'triggered', 0, 0, false, CURRENT_TIMESTAMP)"
)
ADD_ALERT = text(
    "INSERT INTO alerts (incident_id, dedup_key, firing, count, first_at, last_at) "
    "VALUES (:id, 'disk', true, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def migrate(engine: Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, action)(config, revision)


def test_alerts_stored_before_the_migration_get_their_incident_service(engine: Engine) -> None:
    migrate(engine, "upgrade", "0004_delivery_deadline")
    with engine.begin() as conn:
        for incident_id, service in ((1, "payments"), (2, "search")):
            conn.execute(ADD_INCIDENT, {"id": incident_id, "service": service})
            conn.execute(ADD_ALERT, {"id": incident_id})

    upgrade(engine)

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT incident_id, service_id, starts_at, ends_at FROM alerts ORDER BY id")
        )
        assert [tuple(row) for row in rows] == [(1, "payments", None, None), (2, "search", None, None)]


def test_the_migration_can_be_undone(engine: Engine) -> None:
    upgrade(engine)

    migrate(engine, "downgrade", "0004_delivery_deadline")

    columns = {c["name"] for c in inspect(engine).get_columns("alerts")}
    assert columns.isdisjoint({"service_id", "starts_at", "ends_at"})
    assert "ix_alerts_service_dedup_key" not in {i["name"] for i in inspect(engine).get_indexes("alerts")}
