"""`pager status` lists the maintenance windows under way or to come."""

from __future__ import annotations

from datetime import timedelta
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


def open_window(reason: str) -> None:
    """A window for payments, opened through the pager on the test database."""
    from adapters.clock import SystemClock
    from adapters.db import SqlAlchemyUnitOfWork, make_engine, upgrade
    from bot.config import load_config
    from bot.settings import Settings
    from domain.maintenance_service import Maintenance, WindowPlan
    from tests.fakes import FakeClock, FakeWakeUps

    engine = make_engine(Settings.from_env().database_url)
    upgrade(engine)
    catalog = load_config(example_config_path()).catalog
    person = sorted(catalog.people)[0]
    maintenance = Maintenance(
        catalog, lambda: SqlAlchemyUnitOfWork(engine), SystemClock(), FakeWakeUps(FakeClock())
    )
    maintenance.start(WindowPlan(("payments",), reason, duration=timedelta(hours=2)), person)
    engine.dispose()


def test_status_lists_the_windows_under_way() -> None:
    open_window("[bold]schema migration[/bold]")

    result = runner.invoke(app, ["status"], env={"COLUMNS": "250"})

    assert result.exit_code == 0
    assert "Maintenance windows" in result.output
    assert "payments" in result.output and "(now)" in result.output
    assert "[bold]schema migration[/bold]" in result.output  # config text is never read as markup


def test_status_without_windows_shows_no_maintenance_table() -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0

    result = runner.invoke(app, ["status"], env={"COLUMNS": "250"})

    assert result.exit_code == 0
    assert "Maintenance windows" not in result.output
