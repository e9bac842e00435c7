"""`python -m bench`: run the scenarios against real `pager serve` processes and write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from bench import ingest, scenarios, timers
from bench.report import Results, machine, render, write
from bench.servers import DEFAULT_POSTGRES_URL, ROOT, database, postgres_version
from bench.sizes import FULL, SMOKE, Sizes

T = TypeVar("T")
SCENARIOS = ("ingest", "pages", "timers", "storm")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny counts: proves the harness works, in seconds"
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="server to create a fresh database on"
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="run everything this many times; the tables give each range"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SCENARIOS,
        help="these scenarios only (a probe: BENCHMARKS.md is then left alone unless --out names it)",
    )
    parser.add_argument(
        "--out", type=Path, help="Markdown file to update (default BENCHMARKS.md; none in smoke mode)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    sizes = SMOKE if args.smoke else FULL
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    only = set(args.only or SCENARIOS)
    command = "python -m bench" + (" --smoke" if args.smoke else "") + f" --db {args.db}"
    command += f" --runs {args.runs}" if args.runs > 1 else ""
    command += f" --only {' '.join(sorted(only))}" if args.only else ""
    pg_version = postgres_version(args.postgres_url) if "postgres" in kinds else None
    started, runs = datetime.now(UTC), []
    for number in range(1, args.runs + 1):
        print(f"run {number} of {args.runs}", file=sys.stderr, flush=True)
        runs.append(run_all(Results(command, machine(pg_version)), kinds, args.postgres_url, sizes, only))
        if args.runs > 1:  # each run on its own too, so that a later failure loses nothing
            print(render(runs[-1:], sizes.ingest_clients, sizes.steady_rate), flush=True)
    generated = render(runs, sizes.ingest_clients, sizes.steady_rate, started)
    print(generated)
    out = args.out or (None if args.smoke or args.only else ROOT / "BENCHMARKS.md")
    if out is not None:
        write(out, generated)
        print(f"\nwritten to {out}", file=sys.stderr)
    return 0


def run_all(results: Results, kinds: list[str], postgres_url: str, sizes: Sizes, only: set[str]) -> Results:
    """One run of the chosen scenarios on each database, after the bare endpoint if ingest is measured."""
    with tempfile.TemporaryDirectory(prefix="pager-bench-") as tmp:
        workdir = Path(tmp)
        if "ingest" in only:
            _step("bare endpoint", lambda: results.ingest.append(ingest.measure_bare(workdir, sizes)))
        for kind in kinds:
            run(kind, postgres_url, workdir, sizes, results, only)
    return results


def run(kind: str, postgres_url: str, workdir: Path, sizes: Sizes, results: Results, only: set[str]) -> None:
    """The chosen scenarios on `kind`, each on a fresh database and a fresh server."""

    def fresh(what: str, scenario: Callable[[str], T], keep: Callable[[T], object]) -> None:
        def measure() -> None:
            with database(kind, workdir, postgres_url) as url:
                keep(scenario(url))

        _step(f"{kind}: {what}", measure)

    if "ingest" in only:
        fresh(
            "ingest", partial(ingest.measure_pager, kind, workdir=workdir, sizes=sizes), results.ingest.extend
        )
    if "pages" in only:
        page_latency = partial(scenarios.page_latency, kind, workdir=workdir, sizes=sizes)
        fresh("page latency", page_latency, results.pages.append)
    for size in sizes.timers if "timers" in only else ():
        timer = partial(
            timers.timer_precision, kind, workdir=workdir, size=size, connections=sizes.connections
        )
        fresh(f"timers, {size.name}", timer, results.timers.append)
    if "storm" in only:
        fresh("storm", partial(scenarios.storm, kind, workdir=workdir, sizes=sizes), results.storms.append)


def _step(what: str, action: Callable[[], object]) -> None:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"running {what} (load average {load}) ...", file=sys.stderr, flush=True)
    began = time.monotonic()
    action()
    print(f"  {what}: {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
