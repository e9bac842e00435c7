"""The heartbeat gauge for Prometheus, read at scrape time: how many heartbeats are in each state."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domain.heartbeat_model import HeartbeatState

_log = structlog.get_logger("pager.metrics")


class HeartbeatGauges(Collector):
    """Registered on the pager's registry; reads the database at each scrape, so every replica agrees."""

    def __init__(self, read: Callable[[], Mapping[HeartbeatState, int]]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        return list(_families(None))

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self._read()
        except Exception as exc:  # the database is away: the other metrics are still worth a scrape
            _log.warning("metrics: heartbeat gauges unavailable", error=type(exc).__name__)
            return
        yield from _families(counts)


def _families(counts: Mapping[HeartbeatState, int] | None) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "pager_heartbeats",
        "Configured heartbeats by state; overdue: no ping within interval + grace, an alert fired",
        labels=["state"],
    )
    if counts is not None:
        for state in HeartbeatState:
            family.add_metric([state.value], counts.get(state, 0))
    yield family
