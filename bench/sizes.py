"""How big each scenario is: the full run the targets are about, and a smoke run proving the harness works."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    ingest_services: int
    ingest_clients: int  # concurrent connections of the closed loop (as fast as answers come)
    ingest_seconds: float
    steady_rate: float  # alerts/s of the fixed-rate ingest run the latency target is about
    steady_seconds: float
    page_rate: float
    page_seconds: float
    timer_incidents: int
    timer_spread: int  # seconds over which the incidents, hence their deadlines, are spread
    storm_alerts: int
    storm_seconds: float
    connections: int  # connections of the fixed-rate senders


FULL = Sizes(
    ingest_services=100,
    ingest_clients=32,
    ingest_seconds=10,
    steady_rate=500,
    steady_seconds=5,
    page_rate=50,
    page_seconds=10,
    timer_incidents=10_000,
    timer_spread=60,
    storm_alerts=10_000,
    storm_seconds=10,
    connections=64,
)

SMOKE = Sizes(
    ingest_services=10,
    ingest_clients=4,
    ingest_seconds=0.5,
    steady_rate=40,
    steady_seconds=0.5,
    page_rate=20,
    page_seconds=0.5,
    timer_incidents=20,
    timer_spread=1,
    storm_alerts=40,
    storm_seconds=0.5,
    connections=4,
)
