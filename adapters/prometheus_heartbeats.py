"""The heartbeat gauge for Prometheus, read at scrape time: how many heartbeats are in each state."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client.core import GaugeMetricFamily, Metric

from adapters.prometheus_scraped import ScrapedGauges
from domain.heartbeat_model import HeartbeatState

Counts = Mapping[HeartbeatState, int]


def heartbeat_gauges(read: Callable[[], Counts]) -> ScrapedGauges[Counts]:
    return ScrapedGauges("heartbeat", read, _families)


def _families(counts: Counts | None) -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "pager_heartbeats",
        "Configured heartbeats by state; overdue: no ping within interval + grace, an alert fired",
        labels=["state"],
    )
    if counts is not None:
        for state in HeartbeatState:
            family.add_metric([state.value], counts.get(state, 0))
    yield family
