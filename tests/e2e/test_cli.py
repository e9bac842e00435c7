"""The `pager` command line, run in-process against real files and a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import example_config_path

runner = CliRunner()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/pager.db"
    monkeypatch.setenv("PAGER_DATABASE_URL", url)
    monkeypatch.delenv("PAGER_CONFIG", raising=False)
    return url


def test_check_config_accepts_the_bundled_example() -> None:
    result = runner.invoke(app, ["check-config", str(example_config_path())])

    assert result.exit_code == 0
    assert "OK — 3 people, 1 rotation, 2 escalation policies, 2 services" in result.output


def test_check_config_reports_the_path_of_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "escalation_policies:\n  p:\n    levels:\n      - targets: [person:bobb]\n"
        "services:\n  s: {escalation_policy: p}\n"
    )

    result = runner.invoke(app, ["check-config", str(bad)])

    assert result.exit_code == 2
    assert "escalation_policies.p.levels[0].targets[0]: unknown person 'bobb'" in result.output


def test_db_upgrade_migrates_an_empty_database(database: str) -> None:
    from adapters.db import is_current, make_engine

    result = runner.invoke(app, ["db", "upgrade"])

    engine = make_engine(database)
    try:
        assert result.exit_code == 0
        assert is_current(engine)
    finally:
        engine.dispose()


def open_incidents(*alerts: tuple[str, str]) -> None:
    """Open an incident per (service, summary), through the pager on the test database."""
    from adapters.clock import SystemClock
    from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
    from bot.config import load_config
    from bot.settings import Settings
    from domain.alerts import Alert
    from domain.pager import Pager
    from tests.fakes import FakeClock, FakeWakeUps

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    catalog = load_config(example_config_path()).catalog
    pager = Pager(catalog, lambda: SqlAlchemyUnitOfWork(engine), SystemClock(), FakeWakeUps(FakeClock()))
    for service, summary in alerts:
        pager.on_alert(service, Alert(summary))
    engine.dispose()


def test_status_lists_services_and_open_incidents() -> None:
    open_incidents(("payments", "checkout answers 500"))

    result = runner.invoke(app, ["status"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "unhealthy" in result.output and "healthy" in result.output
    assert "checkout answers 500" in result.output
    assert "more open incident" not in result.output


def test_status_shows_the_newest_open_incidents_and_says_how_many_more() -> None:
    open_incidents(("payments", "checkout answers 500"), ("search", "search is slow"))

    result = runner.invoke(app, ["status", "--limit", "1"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "search is slow" in result.output
    assert "checkout answers 500" not in result.output
    assert "1 more open incident:" in result.output


def test_a_bad_setting_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGER_BUNDLE_WINDOW", "soon")

    result = runner.invoke(app, ["status"])

    assert result.exit_code == 2
    assert "PAGER_BUNDLE_WINDOW" in result.output
