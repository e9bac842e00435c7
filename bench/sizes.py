"""How big each scenario is: the full run the targets are about, and a smoke run proving the harness works."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimerSize:
    """One timer scenario: `incidents` opened through the webhook over `spread` s, level 1 timing out after
    `timeout` s; the at-the-phone lateness is held to `target_p99_ms`."""

    incidents: int
    spread: int  # seconds over which the incidents, hence their deadlines, are spread
    timeout: int  # level 1's acknowledgement timeout, s
    target_p99_ms: float

    @property
    def name(self) -> str:
        return f"{self.incidents:,} over {self.spread} s"


@dataclass(frozen=True)
class Sizes:
    ingest_services: int
    ingest_clients: int  # concurrent connections of the closed loop (as fast as answers come)
    ingest_seconds: float
    steady_rate: float  # alerts/s of the fixed-rate ingest run the latency target is about
    steady_seconds: float
    page_rate: float
    page_seconds: float
    timers: tuple[TimerSize, ...]
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
    timers=(
        # Deadlines fall due while alerts still arrive: escalations share the pager with the intake.
        TimerSize(incidents=1_000, spread=20, timeout=20, target_p99_ms=300),
        # Every incident opens before the first deadline: 10,000 deadlines over a minute, nothing else.
        TimerSize(incidents=10_000, spread=60, timeout=75, target_p99_ms=500),
    ),
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
    timers=(TimerSize(incidents=20, spread=1, timeout=3, target_p99_ms=500),),
    storm_alerts=40,
    storm_seconds=0.5,
    connections=4,
)
