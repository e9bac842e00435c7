"""`pager check-config` on people's notification rules, in-process against real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()

CONFIG = """
people:
  alice:
    sms: "+33612345678"
    email: alice@example.com
    notify: [{{sms: 0m}}, {{{late}: 10m}}]
escalation_policies:
  p: {{levels: [{{targets: [person:alice]}}]}}
services:
  s: {{escalation_policy: p, integration_keys: [k]}}
"""


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGER_DATABASE_URL", f"sqlite:///{tmp_path}/pager.db")
    monkeypatch.delenv("PAGER_CONFIG", raising=False)


def check(tmp_path: Path, late: str) -> tuple[int, str]:
    config = tmp_path / "pager.yaml"
    config.write_text(CONFIG.format(late=late))
    result = runner.invoke(app, ["check-config", str(config)])
    return result.exit_code, result.output


def test_check_config_warns_about_rules_that_never_call(tmp_path: Path) -> None:
    code, output = check(tmp_path, "email")

    assert code == 0
    assert "warning: people.alice.notify: no voice step: these rules never call" in output


def test_check_config_refuses_a_step_on_a_method_the_person_lacks(tmp_path: Path) -> None:
    code, output = check(tmp_path, "voice")

    assert code == 2
    assert "people.alice.notify[1]: alice has no voice method to page" in output
