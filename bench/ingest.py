"""Scenario 1, ingest: alerts/s and latency of POST /webhooks/generic, beside the bare endpoint's ceiling."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bench import configs
from bench.load import RequestFor, Run, closed_loop, open_loop, percentile
from bench.servers import bare_server, pager_server
from bench.sizes import Sizes

PATH = "/webhooks/generic"


@dataclass(frozen=True)
class IngestRow:
    database: str
    workload: str
    max_rate: float  # alerts/s, closed loop
    max_p50: float  # ms, closed loop
    max_p99: float
    offered: float  # alerts/s offered in the steady run
    steady_rate: float  # alerts/s achieved there
    steady_p50: float  # ms, from when each alert was due
    steady_p99: float
    errors: int  # answers other than 202, over both runs
    results: dict[str, int]


def new_incidents(services: int) -> RequestFor:
    """Service i % n fires, then one pass over the services later resolves: each firing opens one."""

    def request(i: int) -> tuple[str, object, str]:
        service = configs.service_name(i % services)
        firing = (i // services) % 2 == 0
        body = {"summary": f"{service} is down", "status": "firing" if firing else "resolved"}
        return PATH, body, configs.key_of(service)

    return request


def deduplicated(services: int) -> RequestFor:
    """Firing alerts for services that already have an open incident: each is appended to it."""

    def request(i: int) -> tuple[str, object, str]:
        service = configs.service_name(i % services)
        body = {"summary": f"{service} check {i % 7} failing", "dedup_key": f"check-{i % 7}"}
        return PATH, body, configs.key_of(service)

    return request


async def _settle(port: int, services: int, status: str) -> None:
    """Every service fires (or resolves) once, so the next workload starts from a known state."""

    def request(i: int) -> tuple[str, object, str]:
        service = configs.service_name(i)
        return PATH, {"summary": "settle", "status": status}, configs.key_of(service)

    await open_loop(port, request, rate=10_000, count=services, connections=1)


def _row(database: str, workload: str, fast: Run, steady: Run, offered: float) -> IngestRow:
    results = fast.results()
    for name, n in steady.results().items():
        results[name] = results.get(name, 0) + n
    errors = sum(n for run in (fast, steady) for status, n in run.statuses().items() if status != 202)
    return IngestRow(
        database,
        workload,
        fast.rate,
        percentile(fast.latencies_ms(), 50),
        percentile(fast.latencies_ms(), 99),
        offered,
        steady.rate,
        percentile(steady.latencies_ms(), 50),
        percentile(steady.latencies_ms(), 99),
        errors,
        results,
    )


async def _workload(port: int, request: RequestFor, sizes: Sizes, settle: str) -> tuple[Run, Run]:
    """As fast as answers come, then at the steady rate; each from the same starting state."""
    await _settle(port, sizes.ingest_services, settle)
    fast = await closed_loop(port, request, sizes.ingest_clients, sizes.ingest_seconds)
    await _settle(port, sizes.ingest_services, settle)
    count = int(sizes.steady_rate * sizes.steady_seconds)
    steady = await open_loop(port, request, sizes.steady_rate, count, sizes.connections)
    return fast, steady


def measure_pager(database: str, url: str, workdir: Path, sizes: Sizes) -> list[IngestRow]:
    """Both workloads on one server: new incidents (from all healthy), then deduplicated (from all open)."""
    n = sizes.ingest_services
    with pager_server(workdir, configs.ingest(n), url, f"ingest-{database}") as server:
        new = asyncio.run(_workload(server.port, new_incidents(n), sizes, settle="resolved"))
        dedup = asyncio.run(_workload(server.port, deduplicated(n), sizes, settle="firing"))
    rate = sizes.steady_rate
    return [_row(database, "new incidents", *new, rate), _row(database, "deduplicated", *dedup, rate)]


def measure_bare(workdir: Path, sizes: Sizes) -> IngestRow:
    """The same load on an endpoint that does nothing but answer 202: the stack's ceiling."""
    with bare_server(workdir) as server:
        fast, steady = asyncio.run(
            _workload(server.port, deduplicated(sizes.ingest_services), sizes, "firing")
        )
    return _row("—", "bare endpoint (ceiling)", fast, steady, sizes.steady_rate)
