"""Maintenance gauges for Prometheus, read at scrape time: windows under way and the alerts they keep."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from adapters.prometheus_scraped import ScrapedGauges
from domain.maintenance_service import MaintenanceCounts


def maintenance_gauges(read: Callable[[], MaintenanceCounts]) -> ScrapedGauges[MaintenanceCounts]:
    return ScrapedGauges("maintenance", read, _families)


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
