"""Imports from answers that are not as the vendors document them: a field missing, null or of another type
fails with ImportFailed naming the object, never with a Python error."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.importers import grafana_oncall, opsgenie, pagerduty
from bot.importers.api import DirApi, ImportFailed

FIXTURES = Path(__file__).parents[1] / "fixtures"
NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
DELETE = object()


def _broken(tmp_path: Path, vendor: str, file: str, where: list[Any], value: object) -> Path:
    """A copy of the vendor's fixtures with the field at `where` of `file` set to `value` (or deleted)."""
    root = tmp_path / vendor
    shutil.copytree(FIXTURES / vendor, root)
    document = json.loads((root / file).read_text())
    parent = document
    for step in where[:-1]:
        parent = parent[step]
    if value is DELETE:
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    (root / file).write_text(json.dumps(document))
    return root


CASES: list[tuple[ModuleType, str, list[Any], object, str]] = [
    (pagerduty, "users.json", ["users", 0, "contact_methods", 0, "id"], DELETE, "user PAL1CE7"),
    (pagerduty, "users.json", ["users", 0, "notification_rules", 0, "contact_method"], "x", "user PAL1CE7"),
    (pagerduty, "schedules/PSNGHT3.json", ["schedule", "schedule_layers", 0, "start"], DELETE, "PSNGHT3"),
    (pagerduty, "schedules/PSNGHT3.json", ["schedule"], None, "schedule PSNGHT3"),
    (pagerduty, "schedules/PSNGHT3.json", ["schedule", "schedule_layers", 0, "users"], 7, "PSNGHT3"),
    (pagerduty, "schedules/PSNGHT3/overrides.json", ["overrides"], None, "PSNGHT3"),
    (pagerduty, "escalation_policies.json", ["escalation_policies", 0, "num_loops"], "x", "PEPPAY1"),
    (pagerduty, "services/PSVCHK2/integrations/PINCK02.json", ["integration"], None, "service PSVCHK2"),
    (pagerduty, "services.json", ["services", 0, "id"], DELETE, "service"),
    (
        opsgenie,
        "v2/escalations.json",
        ["data", 0, "rules", 0, "delay", "timeAmount"],
        "x",
        "Payments_escalation",
    ),
    (opsgenie, "v2/schedules.json", ["data", 0, "rotations"], "x", "Platform_London"),
    (opsgenie, "v2/schedules.json", ["data", 0, "rotations", 0, "type"], [], "Platform_London"),
    (opsgenie, "v2/users.json", ["data", 0], "x", "user"),
    (grafana_oncall, "api/v1/integrations.json", ["results", 0, "default_route"], "x", "CGRF6T2M8KQ4W"),
    (grafana_oncall, "api/v1/on_call_shifts.json", ["results", 0, "time_zone"], 7, "SPLT4Y8K2NQ7W"),
    (grafana_oncall, "api/v1/on_call_shifts.json", ["results", 0, "rolling_users"], 7, "SPLT4Y8K2NQ7W"),
    (grafana_oncall, "api/v1/escalation_chains.json", ["results", 0, "id"], DELETE, "escalation chain"),
    (grafana_oncall, "api/v1/users.json", ["results", 0, "id"], DELETE, "user"),
]


@pytest.mark.parametrize(("vendor", "file", "where", "value", "named"), CASES)
def test_an_answer_not_as_documented_fails_naming_the_object(
    tmp_path: Path, vendor: ModuleType, file: str, where: list[Any], value: object, named: str
) -> None:
    root = _broken(tmp_path, vendor.__name__.rsplit(".", 1)[-1], file, where, value)

    with pytest.raises(ImportFailed, match=named) as failed:
        vendor.build_plan(DirApi(root), NOW)

    assert vendor.NAME in str(failed.value)


def test_the_cli_says_what_is_malformed_without_a_traceback(tmp_path: Path) -> None:
    where = ["schedule", "schedule_layers", 0, "start"]
    root = _broken(tmp_path, "pagerduty", "schedules/PSNGHT3.json", where, DELETE)
    runner = CliRunner()

    result = runner.invoke(app, ["import", "pagerduty", "--from-dir", str(root), "--dry-run"])

    assert result.exit_code == 1
    assert "import failed" in result.output and "PSNGHT3" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_unwritable_out_file_fails_with_a_message(tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "pager.yaml"
    runner = CliRunner()

    result = runner.invoke(
        app, ["import", "pagerduty", "--from-dir", str(FIXTURES / "pagerduty"), "--out", str(out)]
    )

    assert result.exit_code == 1
    assert "import failed" in result.output and str(out) in result.output


def test_the_dry_run_prints_vendor_names_with_brackets_as_they_are(tmp_path: Path) -> None:
    root = _broken(tmp_path, "pagerduty", "services.json", ["services", 0, "name"], "[prod] payments [/b]")
    runner = CliRunner()

    result = runner.invoke(app, ["import", "pagerduty", "--from-dir", str(root), "--dry-run"])

    assert result.exit_code == 0
    assert "[prod] payments [/b]" in result.output


def test_a_failure_naming_a_bracketed_name_prints_it_as_it_is(tmp_path: Path) -> None:
    root = _broken(tmp_path, "pagerduty", "schedules.json", ["schedules", 0, "id"], "[/x]")
    runner = CliRunner()

    result = runner.invoke(app, ["import", "pagerduty", "--from-dir", str(root), "--dry-run"])

    assert result.exit_code == 1
    assert "import failed" in result.output and "[/x]" in result.output


def test_grafana_oncall_paging_stops_at_an_empty_page_whatever_its_next_link() -> None:
    asked: list[Any] = []

    def fetch(path: str, params: Any) -> Any:
        asked.append(params)
        if len(asked) > 5:
            raise AssertionError("still asking")
        page = int((params or {}).get("page", 1))
        return {
            "results": [{"id": page}] if page == 1 else [],
            "next": f"http://x/api/v1/users/?page={page + 1}",
        }

    pages = list(grafana_oncall.paging(1).pages(fetch, "/api/v1/users", "results", {}))

    assert pages == [[{"id": 1}], []]


def test_grafana_oncall_paging_fails_on_an_answer_that_is_no_page() -> None:
    with pytest.raises(ImportFailed, match="results"):
        list(grafana_oncall.paging(1).pages(lambda path, params: ["x"], "/api/v1/users", "results", {}))
