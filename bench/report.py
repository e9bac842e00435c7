"""The results as Markdown tables, with the machine they ran on and the targets they are held to."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import IngestRow
from bench.scenarios import BUNDLE_WINDOW_S, PageRow, StormRow, TimerRow

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


@dataclass
class Results:
    command: str
    machine: list[tuple[str, str]]
    ingest: list[IngestRow] = field(default_factory=list)
    pages: list[PageRow] = field(default_factory=list)
    timers: list[TimerRow] = field(default_factory=list)
    storms: list[StormRow] = field(default_factory=list)


def machine(postgres_version: str | None) -> list[tuple[str, str]]:
    """What the figures depend on: CPU, cores, memory, versions, and how busy the machine already was."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    memory = next((line.split()[1] for line in _read("/proc/meminfo") if line.startswith("MemTotal")), "0")
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", f"{int(memory) / 1024 / 1024:.1f} GiB"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version or "not measured"),
        ("load average at start (1/5/15 min)", load),
    ]


def _read(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def ingest_table(rows: list[IngestRow], clients: int, rate: float) -> list[str]:
    header = ["database", "workload", f"alerts/s ({clients} clients)", "p50 ms", "p99 ms"]
    header += [f"alerts/s offered {rate:.0f}/s", "p50 ms", "p99 ms", "non-202", "outcomes"]
    body = [
        [
            *[r.database, r.workload, _n(r.max_rate), _n(r.max_p50, 1), _n(r.max_p99, 1)],
            *[_n(r.steady_rate), _n(r.steady_p50, 1), _n(r.steady_p99, 1), str(r.errors)],
            ", ".join(f"{k} {v}" for k, v in sorted(r.results.items())),
        ]
        for r in rows
    ]
    return _table(header, body)


def page_table(rows: list[PageRow]) -> list[str]:
    header = ["database", "alerts", "alerts/s", "paged", "p50 ms", "p99 ms", "max ms"]
    body = [
        [r.database, str(r.alerts), _n(r.rate, 1), str(r.paged), _n(r.p50), _n(r.p99), _n(r.max)]
        for r in rows
    ]
    return _table(header, body)


def timer_table(rows: list[TimerRow]) -> list[str]:
    header = ["database", "incidents", "deadlines spread s", "late p50 ms", "p99 ms", "max ms", "missed"]
    header += ["duplicates", "peak RSS MB"]
    body = [
        [
            *[r.database, str(r.incidents), _n(r.spread, 1), _n(r.p50), _n(r.p99), _n(r.max), str(r.missed)],
            *[str(r.duplicates), _n(r.peak_rss_mb)],
        ]
        for r in rows
    ]
    return _table(header, body)


def storm_table(rows: list[StormRow]) -> list[str]:
    header = ["database", "alerts", "answered 202", "all answered after s", "incidents", "alerts recorded"]
    header += ["messages per level-1 address", "peak RSS MB"]
    body = [
        [
            *[
                r.database,
                str(r.alerts),
                str(r.accepted),
                _n(r.seconds, 1),
                str(r.incidents),
                str(r.recorded),
            ],
            *[", ".join(f"{a} {n}" for a, n in r.pages.items()), _n(r.peak_rss_mb)],
        ]
        for r in rows
    ]
    return _table(header, body)


def targets_table(results: Results) -> list[str]:
    """Each target of the issue, per database, with the measured figure and whether it is met."""
    rows = _ingest_targets(results.ingest)
    limit = BUNDLE_WINDOW_S * 1000 + 150
    for p in results.pages:
        met = p.p99 <= limit and p.paged == p.alerts
        rows.append([f"page latency p99 ≤ {limit:.0f} ms", p.database, _n(p.p99), _met(met)])
    for t in results.timers:
        rows.append(["timer lateness p99 ≤ 500 ms", t.database, _n(t.p99), _met(t.p99 <= 500)])
        met = not t.missed and not t.duplicates
        rows.append(
            ["timer: missed = 0, duplicates = 0", t.database, f"{t.missed}, {t.duplicates}", _met(met)]
        )
    for s in results.storms:
        met = s.incidents == 1 and s.recorded == s.alerts == s.accepted and set(s.pages.values()) == {1}
        measured = f"{s.incidents} incident, {max(s.pages.values(), default=0)} max, {s.recorded} recorded"
        rows.append(
            ["storm: 1 incident, 1 message per target, all recorded", s.database, measured, _met(met)]
        )
    peaks: dict[str, float] = {}
    measured_memory: list[TimerRow | StormRow] = [*results.timers, *results.storms]
    for row in measured_memory:
        peaks[row.database] = max(peaks.get(row.database, 0.0), row.peak_rss_mb)
    for db, peak in peaks.items():
        rows.append(["peak RSS ≤ 250 MB (timer, storm)", db, _n(peak), _met(peak <= 250)])
    return _table(["target", "database", "measured", "met"], rows)


def _ingest_targets(ingest: list[IngestRow]) -> list[list[str]]:
    rows: list[list[str]] = []
    bare = next((r for r in ingest if r.database == "—"), None)
    for r in ingest:
        if r == bare:
            continue
        if r.database == "postgres":
            rows.append(
                [
                    f"ingest ≥ 1,500 alerts/s ({r.workload})",
                    r.database,
                    _n(r.max_rate),
                    _met(r.max_rate >= 1500),
                ]
            )
        if bare is not None and bare.max_rate:
            share = r.max_rate / bare.max_rate * 100
            rows.append(
                [f"ingest ≥ 40 % of bare ({r.workload})", r.database, f"{share:.1f} %", _met(share >= 40)]
            )
        p99 = r.steady_p99
        rows.append(
            [
                f"ingest p99 ≤ 50 ms at {r.offered:.0f}/s ({r.workload})",
                r.database,
                _n(p99, 1),
                _met(p99 <= 50),
            ]
        )
    return rows


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(results: Results, clients: int, rate: float) -> str:
    """The generated part of BENCHMARKS.md: how it was run, on what, and every table."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [START, "", f"Measured {when} with `{results.command}`.", ""]
    lines += _table(["machine", ""], [[k, v] for k, v in results.machine])
    sections = [
        ("Targets", targets_table(results)),
        ("1. Ingest: POST /webhooks/generic", ingest_table(results.ingest, clients, rate)),
        ("2. Page latency: alert accepted → page received", page_table(results.pages)),
        ("3. Timer precision: level-2 page time minus level-1 deadline", timer_table(results.timers)),
        ("4. Storm: alerts for one service", storm_table(results.storms)),
    ]
    for title, table in sections:
        lines += ["", f"### {title}", "", *table]
    return "\n".join([*lines, "", END])


def write(path: Path, generated: str) -> None:
    """Replace the generated block of `path`, keeping the hand-written text around it."""
    old = path.read_text() if path.exists() else ""
    if START in old and END in old:
        before, _, rest = old.partition(START)
        _, _, after = rest.partition(END)
        path.write_text(before + generated + after)
    else:
        path.write_text(f"# Benchmarks\n\n{generated}\n")
