"""`pager check-config` and `pager status` with heartbeats, in-process on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()

CONFIG = """
escalation_policies:
  p: {levels: [{targets: ["email:oncall@example.com"]}]}
services:
  backups: {escalation_policy: p, integration_keys: [backups-key]}
  reports: {escalation_policy: p}
heartbeats:
  nightly-backup: {service: backups, interval: 24h, grace: 30m}
  weekly-report: {service: reports, interval: 7d}
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAGER_DATABASE_URL", f"sqlite:///{tmp_path}/pager.db")
    path = tmp_path / "pager.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("PAGER_CONFIG", str(path))
    return path


def test_check_config_counts_heartbeats_and_warns_of_one_nothing_can_ping(config: Path) -> None:
    result = runner.invoke(app, ["check-config", str(config)], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    assert "2 services, 2 heartbeats" in result.output
    assert (
        "warning: heartbeats.weekly-report belongs to reports, which has no integration key" in result.output
    )
    assert "nightly-backup belongs" not in result.output


def test_check_config_reports_a_heartbeat_of_an_unknown_service(config: Path) -> None:
    config.write_text(CONFIG.replace("service: backups", "service: backup"))

    result = runner.invoke(app, ["check-config", str(config)])

    assert result.exit_code == 2
    assert "heartbeats.nightly-backup.service: unknown service 'backup'" in result.output


def test_status_lists_each_heartbeat_with_its_state(config: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])

    result = runner.invoke(app, ["status"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    rows = [
        line for line in result.output.splitlines() if "nightly-backup" in line or "weekly-report" in line
    ]
    assert len(rows) == 2
    assert all(" ok " in row and "never" in row for row in rows)
