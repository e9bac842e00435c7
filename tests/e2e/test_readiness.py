"""`GET /readyz` through the real app: ready only with the database reachable, the schema current and a
leader running the escalation timer; otherwise 503 naming what failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient

from bot.bootstrap import Runtime, bootstrap
from bot.config import parse_config
from bot.http import create_app
from bot.settings import Settings
from tests.e2e.conftest import CONFIG
from tests.fakes import FakeClock, FakeWakeUps

READY = {"database": "ok", "migrations": "ok", "leader": "ok"}


def runtime(database_url: str, tmp_path: Path, *, real_wakeups: bool = True, migrate: bool = True) -> Runtime:
    settings = Settings(database_url=database_url, config_path=tmp_path / "unused.yaml")
    config = parse_config(CONFIG, "test.yaml", {})
    wakeups = None if real_wakeups else FakeWakeUps(FakeClock())
    return bootstrap(settings, config=config, wakeups=wakeups, migrate=migrate)


@pytest.fixture
def started(sqlite_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A single SQLite process with its timer and workers running, as `pager serve` runs it."""
    with TestClient(create_app(runtime(sqlite_url, tmp_path))) as client:
        yield client


def test_a_running_single_process_is_ready_and_leads(started: TestClient) -> None:
    answer = started.get("/readyz")

    assert (answer.status_code, answer.json()) == (200, {"status": "ready", "checks": READY, "leading": True})


def test_a_schema_behind_this_version_is_not_ready_and_says_how_to_fix_it(started: TestClient) -> None:
    engine = started.app.state.runtime.engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))

    answer = started.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"
    assert "pager db upgrade" in answer.json()["checks"]["migrations"]
    assert answer.json()["checks"]["database"] == "ok"


def test_an_unreachable_database_is_not_ready(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path}/no-such-directory/pager.db"
    app = create_app(runtime(unreachable, tmp_path, real_wakeups=False, migrate=False), manage_runtime=False)

    with TestClient(app) as client:
        answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json()["checks"]["database"] == "failed (OperationalError)"


@pytest.mark.postgres
def test_no_replica_leading_is_not_ready(postgres_url: str, tmp_path: Path) -> None:
    """Built but not started: nobody holds the leader lock on this database."""
    built = runtime(postgres_url, tmp_path, real_wakeups=False)
    with TestClient(create_app(built, manage_runtime=False)) as client:
        answer = client.get("/readyz")
    built.engine.dispose()

    assert answer.status_code == 503
    assert answer.json()["checks"] == {**READY, "leader": "no replica runs the escalation timer yet"}
    assert answer.json()["leading"] is False


def test_openapi_documents_liveness_and_readiness(started: TestClient) -> None:
    paths = started.get("/openapi.json").json()["paths"]

    assert {"/healthz", "/readyz"} <= set(paths)
    assert {"200", "503"} <= set(paths["/readyz"]["get"]["responses"])
