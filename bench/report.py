"""The results as Markdown tables, with the machine they ran on and the targets they are held to."""

from __future__ import annotations

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.ingest import IngestRow
from bench.ranges import merge_tables
from bench.scenarios import BUNDLE_WINDOW_S, PageRow, StormRow
from bench.timers import Lateness, TimerRow

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
    header = ["database", "deadlines", "spread s", "measured", "late p50 ms", "p90 ms", "p99 ms", "max ms"]
    header += ["missed", "doubled", "peak RSS MB", "of it at start MB"]
    phone = f"at the phone, net of the {BUNDLE_WINDOW_S:g} s window"
    body = [
        [r.database, r.scenario, _n(r.spread, 1), label, *_lateness(late), *_memory(r)]
        for r in rows
        for label, late in ((phone, r.phone), ("in the database", r.stored))
    ]
    return _table(header, body)


def _memory(row: TimerRow) -> list[str]:
    return [_n(row.peak_rss_mb), _n(row.start_rss_mb)]


def _lateness(late: Lateness) -> list[str]:
    return [_n(late.p50), _n(late.p90), _n(late.p99), _n(late.max), str(late.missed), str(late.doubled)]


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
        rows += _timer_targets(t)
    for s in results.storms:
        met = s.incidents == 1 and s.recorded == s.alerts == s.accepted and set(s.pages.values()) == {1}
        measured = f"{s.incidents} incident, {max(s.pages.values(), default=0)} max, {s.recorded} recorded"
        rows.append(
            ["storm: 1 incident, 1 message per target, all recorded", s.database, measured, _met(met)]
        )
    return _table(["target", "database", "measured", "met"], rows + _memory_targets(results))


def _memory_targets(results: Results) -> list[list[str]]:
    """Each database's highest peak over the timer and storm servers, and the highest one reached
    while starting (reading the config) before any alert came."""
    peaks: dict[str, tuple[float, float]] = {}
    measured: list[TimerRow | StormRow] = [*results.timers, *results.storms]
    for row in measured:
        start = row.start_rss_mb if isinstance(row, TimerRow) else 0.0
        peak, started = peaks.get(row.database, (0.0, 0.0))
        peaks[row.database] = (max(peak, row.peak_rss_mb), max(started, start))
    return [
        ["peak RSS ≤ 250 MB (timers, storm)", db, f"{_n(peak)} ({_n(start)} at start)", _met(peak <= 250)]
        for db, (peak, start) in peaks.items()
    ]


def _timer_targets(t: TimerRow) -> list[list[str]]:
    limit, phone, stored = t.target_p99_ms, t.phone, t.stored
    met = not (phone.missed or phone.doubled or stored.missed or stored.doubled)
    counts = f"{phone.missed}, {phone.doubled} (database {stored.missed}, {stored.doubled})"
    within = _met(phone.p99 <= limit)
    return [
        [f"timer at the phone p99 ≤ {limit:,.0f} ms ({t.scenario})", t.database, _n(phone.p99), within],
        [f"timer: 0 missed, 0 doubled ({t.scenario})", t.database, counts, _met(met)],
    ]


# Alerts/s of the closed loop each database must reach (round two's targets). Round one asked for 40 % of the
# bare endpoint instead; the share is still given, unjudged, so that runs on other machines compare.
INGEST_TARGETS = {"postgres": 1500, "sqlite": 2000}


def _ingest_targets(ingest: list[IngestRow]) -> list[list[str]]:
    rows: list[list[str]] = []
    bare = next((r for r in ingest if r.database == "—"), None)
    for r in ingest:
        if r == bare:
            continue
        if (target := INGEST_TARGETS.get(r.database)) is not None:
            met = _met(r.max_rate >= target)
            rows.append([f"ingest ≥ {target:,} alerts/s ({r.workload})", r.database, _n(r.max_rate), met])
        if bare is not None and bare.max_rate:
            share = f"{r.max_rate / bare.max_rate * 100:.1f} %"
            rows.append([f"ingest, share of the bare endpoint ({r.workload})", r.database, share, "—"])
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


def sections(results: Results, clients: int, rate: float) -> list[tuple[str, list[str]]]:
    """Every table of one run, under its heading (the machine's first, without one)."""
    return [
        ("", _table(["machine", ""], [[k, v] for k, v in results.machine])),
        ("Targets", targets_table(results)),
        ("1. Ingest: POST /webhooks/generic", ingest_table(results.ingest, clients, rate)),
        ("2. Page latency: alert accepted → page received", page_table(results.pages)),
        ("3. Timer precision: level 2 paged after level 1's deadline", timer_table(results.timers)),
        ("4. Storm: alerts for one service", storm_table(results.storms)),
    ]


def render(runs: list[Results], clients: int, rate: float, started: datetime | None = None) -> str:
    """The generated part of BENCHMARKS.md: how it was run, on what, and every table; over several runs,
    each figure is the range of the runs' figures."""
    end = datetime.now(UTC)
    when = f"{end:%Y-%m-%d %H:%M} UTC"
    if len(runs) > 1 and started is not None:
        when = f"{len(runs)} runs from {started:%Y-%m-%d %H:%M} to {end:%H:%M} UTC"
    lines = [START, "", f"Measured {when} with `{runs[0].command}`."]
    if len(runs) > 1:
        lines[-1] += " Each figure is the range over the runs (one figure where they agree)."
    each = [sections(results, clients, rate) for results in runs]
    for index, (title, _) in enumerate(each[0]):
        table = merge_tables([run[index][1] for run in each])
        lines += ["", *([f"### {title}", ""] if title else []), *table]
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
