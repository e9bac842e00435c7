"""`python -m bench.profile`: sample a `pager serve` with py-spy during the ingest workloads and summarize.

Writes py-spy's collapsed stacks (one file per workload, readable by speedscope or flamegraph.pl) and prints
the frames where the samples fall, so BENCHMARKS.md's profile section can be reproduced.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench import configs
from bench.ingest import _settle, deduplicated, new_incidents
from bench.load import RequestFor, closed_loop
from bench.servers import DEFAULT_POSTGRES_URL, database, pager_server

_FRAME = re.compile(r"(?P<function>.*) \((?P<file>.*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Summary:
    samples: int
    own: Counter[str]  # samples whose innermost frame is this function
    within: Counter[str]  # samples with this function anywhere on the stack


def frame_name(frame: str) -> str:
    """`function (file:line)` → `function (file)`, the file relative to site-packages or the project."""
    match = _FRAME.match(frame)
    if match is None:
        return frame
    file = match["file"].split("site-packages/")[-1]
    for package in ("bench/", "bot/", "adapters/", "domain/"):
        if f"/{package}" in file:
            file = package + file.rsplit(f"/{package}", 1)[1]
    return f"{match['function']} ({file})"


def summarize(lines: Iterable[str]) -> Summary:
    """Count py-spy's raw (collapsed) output: `frame;frame;...;frame COUNT` per line."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    samples = 0
    for line in lines:
        stack, _, count = line.strip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(f) for f in stack.split(";")]
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            within[frame] += int(count)
    return Summary(samples, own, within)


def report(title: str, summary: Summary, top: int = 20) -> str:
    lines = [f"== {title}: {summary.samples} samples", "-- innermost frames"]
    lines += [f"{n / summary.samples:6.1%}  {f}" for f, n in summary.own.most_common(top)]
    lines.append("-- the pager's own frames, anywhere on the stack")
    ours = [(f, n) for f, n in summary.within.most_common() if re.search(r"\((bot|adapters|domain)/", f)]
    lines += [f"{n / summary.samples:6.1%}  {f}" for f, n in ours[:top]]
    return "\n".join(lines)


def record(py_spy: str, pid: int, seconds: float, out: Path, gil: bool) -> subprocess.Popen[bytes]:
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "200"]
    command += ["--threads", "--nonblocking", "--format", "raw", "--output", str(out)]
    return subprocess.Popen([*command, "--gil"] if gil else command, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--gil", action="store_true", help="only sample the thread holding the GIL (CPU)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "pager-profile")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        print(
            "py-spy is not installed: pip install 'py-spy>=0.4,<0.5' (it is in the dev extras)",
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    workloads: list[tuple[str, RequestFor, str]] = [
        ("new incidents", new_incidents(100), "resolved"),
        ("deduplicated", deduplicated(100), "firing"),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="pager-profile-") as tmp,
        database(args.db, Path(tmp), args.postgres_url) as url,
        pager_server(Path(tmp), configs.ingest(100), url, "profiled") as server,
    ):
        for name, request, settle in workloads:
            asyncio.run(_settle(server.port, 100, settle))
            out = args.out / f"{args.db}-{name.replace(' ', '-')}{'-gil' if args.gil else ''}.txt"
            spy = record(py_spy, server.popen.pid, args.seconds, out, args.gil)
            run = asyncio.run(closed_loop(server.port, request, 32, args.seconds))
            spy.wait(args.seconds + 30)
            print(f"{name}: {run.rate:.0f} alerts/s while sampled; stacks in {out}")
            print(report(name, summarize(out.read_text().splitlines())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
