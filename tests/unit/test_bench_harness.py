"""The benchmark harness's own logic, without servers: percentiles, HTTP framing, the report file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import IngestRow
from bench.load import _parse_head, percentile
from bench.profile import summarize
from bench.ranges import merge_cells, merge_tables
from bench.report import END, START, Results, targets_table, write
from bench.timers import Lateness, TimerRow, lateness
from tests.unit.test_layers import imports


def row(database: str, max_rate: float, steady_p99: float = 10.0) -> IngestRow:
    return IngestRow(database, "deduplicated", max_rate, 1.0, 2.0, 500, 500, 1.0, steady_p99, 0, {})


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 99) == 0.0


def test_response_head_gives_status_length_and_close() -> None:
    head = b"HTTP/1.1 202 Accepted\r\ncontent-length: 42\r\nConnection: close\r\n\r\n"
    assert _parse_head(head) == (202, 42, True)


def test_write_replaces_only_the_generated_block(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    out.write_text(f"intro\n{START}\nold\n{END}\nprofile notes\n")

    write(out, f"{START}\nnew\n{END}")

    assert out.read_text() == f"intro\n{START}\nnew\n{END}\nprofile notes\n"


def test_write_creates_a_file_with_a_title_when_none_exists(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"

    write(out, f"{START}\nnew\n{END}")

    assert out.read_text() == f"# Benchmarks\n\n{START}\nnew\n{END}\n"


def test_ingest_targets_are_per_database_and_give_the_share_of_the_bare_endpoint() -> None:
    results = Results("cmd", [], ingest=[row("—", 4000), row("sqlite", 2000), row("postgres", 1400)])

    lines = targets_table(results)

    assert "| ingest ≥ 2,000 alerts/s (deduplicated) | sqlite | 2,000 | yes |" in lines
    assert "| ingest ≥ 1,500 alerts/s (deduplicated) | postgres | 1,400 | **no** |" in lines
    assert "| ingest, share of the bare endpoint (deduplicated) | postgres | 35.0 % | — |" in lines


def test_targets_flag_a_missed_postgres_throughput() -> None:
    results = Results("cmd", [], ingest=[row("postgres", 130)])

    assert "| ingest ≥ 1,500 alerts/s (deduplicated) | postgres | 130 | **no** |" in targets_table(results)


def test_the_pager_never_imports_the_bench_harness() -> None:
    packages = ("domain", "adapters", "bot")
    offenders = [where for package in packages for where, name in imports(package) if name == "bench"]
    assert offenders == []


def test_profile_summary_counts_innermost_frames_and_frames_on_the_stack() -> None:
    raw = [
        "thread (0x1);on_alert (/src/domain/pager.py:60);execute (/x/site-packages/psycopg/c.py:9) 3",
        "thread (0x1);on_alert (/src/domain/pager.py:60) 1",
    ]

    summary = summarize(raw)

    assert summary.samples == 4
    assert summary.own["execute (psycopg/c.py)"] == 3
    assert summary.within["on_alert (domain/pager.py)"] == 4


def test_ranges_give_the_lowest_and_highest_figure_of_the_runs() -> None:
    assert merge_cells(["1,396", "1,699", "1,420"]) == "1,396\N{EN DASH}1,699"


def test_ranges_keep_a_figure_the_runs_agree_on() -> None:
    assert merge_cells(["0", "0", "0"]) == "0"


def test_ranges_keep_the_unit_once() -> None:
    assert merge_cells(["17.0 %", "13.6 %"]) == "13.6\N{EN DASH}17.0 %"


def test_ranges_count_the_runs_that_met_a_target() -> None:
    assert merge_cells(["yes", "**no**", "yes"]) == "2 of 3 runs"


def test_ranges_list_each_run_of_a_cell_that_is_no_number() -> None:
    assert merge_cells(["0.17 / 0.55", "1.20 / 0.90"]) == "0.17 / 0.55; 1.20 / 0.90"


def test_ranges_merge_tables_row_by_row() -> None:
    first = ["| db | p99 |", "|---|---|", "| sqlite | 205 |"]
    second = ["| db | p99 |", "|---|---|", "| sqlite | 99 |"]

    assert merge_tables([first, second]) == ["| db | p99 |", "|---|---|", "| sqlite | 99\N{EN DASH}205 |"]


def test_timer_lateness_counts_from_the_deadline_net_of_what_is_allowed() -> None:
    deadline = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    paged = {1: [deadline.timestamp() + 1.25], 2: [deadline.timestamp() + 1.0]}

    late = lateness(paged, {1: deadline, 2: deadline}, allowed_s=1.0)

    assert (late.p50, late.max, late.missed, late.doubled) == (0.0, 250.0, 0, 0)


def test_timer_lateness_counts_a_missed_and_a_doubled_page() -> None:
    deadline = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    paged = {1: [], 2: [deadline.timestamp(), deadline.timestamp() + 0.5]}

    late = lateness(paged, {1: deadline, 2: deadline}, allowed_s=0.0)

    assert (late.missed, late.doubled, late.max) == (1, 1, 0.0)


def test_targets_hold_timer_lateness_at_the_phone_to_the_scenario_target() -> None:
    ok = Lateness(10, 20, 30, 40, 0, 0)
    late = Lateness(5, 6, 301, 400, 0, 0)
    row = TimerRow("sqlite", "1,000 over 20 s", 1000, 20.0, 300, late, ok, 100, 90)

    lines = targets_table(Results("cmd", [], timers=[row]))

    assert "| timer at the phone p99 ≤ 300 ms (1,000 over 20 s) | sqlite | 301 | **no** |" in lines


def test_the_memory_target_says_how_much_of_the_peak_was_reached_at_start() -> None:
    ok = Lateness(10, 20, 30, 40, 0, 0)
    row = TimerRow("postgres", "10,000 over 60 s", 10_000, 60.0, 500, ok, ok, 318, 316)

    lines = targets_table(Results("cmd", [], timers=[row]))

    assert "| peak RSS ≤ 250 MB (timers, storm) | postgres | 318 (316 at start) | **no** |" in lines
