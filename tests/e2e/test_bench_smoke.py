"""The benchmark harness's smoke mode, end to end: real servers on SQLite and PostgreSQL, tiny counts.

It checks that the harness runs and reports; it never asserts a timing (figures on a shared CI
machine mean nothing), only outcomes the pager guarantees whatever the speed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.report import END, START
from tests.e2e.processes import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

HAND_WRITTEN = "# Benchmarks\n\nNotes written by hand.\n\n"


@pytest.fixture(scope="module")
def report(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("bench") / "BENCHMARKS.md"
    out.write_text(f"{HAND_WRITTEN}{START}\nold figures\n{END}\n\n## Profile\n")
    command = [sys.executable, "-m", "bench", "--smoke", "--db", "both", "--out", str(out)]
    command += ["--postgres-url", postgres_server_url]
    subprocess.run(command, cwd=ROOT, check=True, timeout=100, capture_output=True)
    return out.read_text()


def rows_of(report: str, heading: str) -> list[str]:
    """The data rows of the table under `heading`."""
    section = report.split(heading, 1)[1].split("###", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("|---")][
        1:
    ]


def test_smoke_run_replaces_the_old_figures_and_keeps_the_hand_written_text(report: str) -> None:
    assert report.startswith(HAND_WRITTEN + START)
    assert "old figures" not in report
    assert report.endswith(f"{END}\n\n## Profile\n")


def test_smoke_run_describes_the_machine(report: str) -> None:
    machine = {row.split(" | ")[0].strip("| ") for row in rows_of(report, "Measured")}
    assert {"CPU", "cores", "memory", "Python", "PostgreSQL"} <= machine


def test_smoke_run_measures_ingest_on_both_databases_beside_the_bare_endpoint(report: str) -> None:
    rows = rows_of(report, "### 1. Ingest")
    assert [row.split(" | ")[:2] for row in rows] == [
        ["| —", "bare endpoint (ceiling)"],
        ["| sqlite", "new incidents"],
        ["| sqlite", "deduplicated"],
        ["| postgres", "new incidents"],
        ["| postgres", "deduplicated"],
    ]


def test_smoke_run_answers_every_ingested_alert_with_202(report: str) -> None:
    non_202 = [row.split(" | ")[8] for row in rows_of(report, "### 1. Ingest")]
    assert non_202 == ["0"] * 5


def test_smoke_run_sees_a_page_for_every_alert_in_the_page_latency_scenario(report: str) -> None:
    rows = [row.split(" | ") for row in rows_of(report, "### 2. Page latency")]
    assert [(r[0], r[1] == r[3]) for r in rows] == [("| sqlite", True), ("| postgres", True)]


def test_smoke_run_escalates_every_incident_once_at_the_phone_and_in_the_database(report: str) -> None:
    rows = [row.split(" | ") for row in rows_of(report, "### 3. Timer precision")]
    measured = [(r[0], r[3].split(",")[0], r[8], r[9]) for r in rows]
    assert measured == [
        (f"| {db}", where, "0", "0")
        for db in ("sqlite", "postgres")
        for where in ("at the phone", "in the database")
    ]


def test_smoke_run_storm_opens_one_incident_and_pages_each_target_once(report: str) -> None:
    rows = [row.split(" | ") for row in rows_of(report, "### 4. Storm")]
    pages = "storm@bench.test 1, +33612340001 1, #storm 1"
    assert [(r[0], r[4], r[6]) for r in rows] == [("| sqlite", "1", pages), ("| postgres", "1", pages)]


def test_smoke_run_records_every_storm_alert(report: str) -> None:
    rows = [row.split(" | ") for row in rows_of(report, "### 4. Storm")]
    assert all(r[1] == r[2] == r[5] for r in rows)
