"""`pager oncall` and the on-call warnings of `pager check-config`, run as the CLI."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

CONFIG = """
people:
  alice: {name: Alice, sms: "+33612345678"}
  bob: {name: Bob}
rotations:
  primary: {members: [alice, bob], start: "2026-11-30T09:00:00+01:00", shift: 1d, timezone: Europe/Paris}
overrides:
  - {rotation: primary, person: bob, from: "2026-12-03T09:00:00+01:00", to: "2026-12-03T12:00:00+01:00"}
escalation_policies:
  default: {levels: [{targets: [rotation:primary]}]}
services:
  payments: {escalation_policy: default, integration_keys: [k-0123456789]}
"""


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "pager.yaml"
    path.write_text(CONFIG)
    return path


def test_oncall_at_an_instant_shows_the_override(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["oncall", "primary", "--at", "2026-12-03T10:00+01:00", "-c", str(write_config(tmp_path))]
    )

    assert (result.exit_code, "│ primary  │ bob" in result.output) == (0, True)


def test_oncall_for_an_unknown_rotation_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["oncall", "secondary", "-c", str(write_config(tmp_path))])

    assert result.exit_code == 2


def test_check_config_warns_about_a_person_with_no_contact_method(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check-config", str(write_config(tmp_path))])

    assert "warning: people.bob: has no contact method" in result.output
