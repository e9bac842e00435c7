"""The benchmark harness's own logic, without servers: percentiles, HTTP framing, the report file."""

from __future__ import annotations

from pathlib import Path

from bench.ingest import IngestRow
from bench.load import _parse_head, percentile
from bench.profile import summarize
from bench.report import END, START, Results, targets_table, write
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


def test_targets_compare_ingest_with_the_bare_endpoint() -> None:
    results = Results("cmd", [], ingest=[row("—", 1000), row("sqlite", 500)])

    lines = targets_table(results)

    assert "| ingest ≥ 40 % of bare (deduplicated) | sqlite | 50.0 % | yes |" in lines


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
