"""Maintenance gauges for Prometheus, read at scrape time: windows under way and the alerts they keep."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from domain.maintenance_service import MaintenanceCounts

_log = structlog.get_logger("pager.metrics")


class MaintenanceGauges(Collector):
    """Registered on the pager's registry; reads the database at each scrape, so every replica agrees."""

    def __init__(self, read: Callable[[], MaintenanceCounts]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        return list(_families(None))

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self._read()
        except Exception as exc:  # the database is away: the other metrics are still worth a scrape
            _log.warning("metrics: maintenance gauges unavailable", error=type(exc).__name__)
            return
        yield from _families(counts)


def _families(counts: MaintenanceCounts | None) -> Iterator[Metric]:
    windows = GaugeMetricFamily(
        "pager_maintenance_windows_active", "Maintenance windows under way now, read at scrape"
    )
    kept = GaugeMetricFamily(
        "pager_maintenance_suppressed_alerts",
        "Alerts suppressed by maintenance and still firing: they page when their window ends",
    )
    if counts is not None:
        windows.add_metric([], counts.active_windows)
        kept.add_metric([], counts.suppressed_alerts)
    yield windows
    yield kept
