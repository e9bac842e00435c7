"""`python -m bench`: run the scenarios against real `pager serve` processes and write BENCHMARKS.md."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bench import ingest, scenarios
from bench.report import Results, machine, render, write
from bench.servers import DEFAULT_POSTGRES_URL, ROOT, database, postgres_version
from bench.sizes import FULL, SMOKE, Sizes

T = TypeVar("T")


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
        "--out", type=Path, help="Markdown file to update (default BENCHMARKS.md; none in smoke mode)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    sizes = SMOKE if args.smoke else FULL
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    command = "python -m bench" + (" --smoke" if args.smoke else "") + f" --db {args.db}"
    pg_version = postgres_version(args.postgres_url) if "postgres" in kinds else None
    results = Results(command, machine(pg_version))
    with tempfile.TemporaryDirectory(prefix="pager-bench-") as tmp:
        workdir = Path(tmp)
        _step("bare endpoint", lambda: results.ingest.append(ingest.measure_bare(workdir, sizes)))
        for kind in kinds:
            run(kind, args.postgres_url, workdir, sizes, results)
    generated = render(results, sizes.ingest_clients, sizes.steady_rate)
    print(generated)
    out = args.out or (None if args.smoke else ROOT / "BENCHMARKS.md")
    if out is not None:
        write(out, generated)
        print(f"\nwritten to {out}", file=sys.stderr)
    return 0


def run(kind: str, postgres_url: str, workdir: Path, sizes: Sizes, results: Results) -> None:
    """Every scenario on `kind`, each on a fresh database and a fresh server."""

    def fresh(scenario: Callable[[str, str, Path, Sizes], T]) -> T:
        with database(kind, workdir, postgres_url) as url:
            return scenario(kind, url, workdir, sizes)

    _step(f"{kind}: ingest", lambda: results.ingest.extend(fresh(ingest.measure_pager)))
    _step(f"{kind}: page latency", lambda: results.pages.append(fresh(scenarios.page_latency)))
    _step(f"{kind}: timer precision", lambda: results.timers.append(fresh(scenarios.timer_precision)))
    _step(f"{kind}: storm", lambda: results.storms.append(fresh(scenarios.storm)))


def _step(what: str, action: Callable[[], object]) -> None:
    print(f"running {what} ...", file=sys.stderr, flush=True)
    action()


if __name__ == "__main__":
    sys.exit(main())
