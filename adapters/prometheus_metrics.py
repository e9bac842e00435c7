"""The pager's metrics for Prometheus, on a registry of their own (not the process-global one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from adapters.db.gauges import Gauges
from domain.model import Channel
from domain.observing_ports import NotificationOutcome

INTEGRATIONS = ("generic", "alertmanager", "grafana", "pagerduty", "heartbeat")
ALERT_OUTCOMES = ("opened", "appended", "resolved", "ignored", "suppressed", "rejected")
# From a healthy few milliseconds to minutes behind, where a pager falling behind shows.
LATENESS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
ACK_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)

_log = structlog.get_logger("pager.metrics")


class PrometheusMetrics:
    """Implements the PagerMetrics port; `registry` is what `GET /metrics` exposes.

    Counters and histograms count what this process did; the gauges read the database at scrape time,
    so they are the same on every replica (sum the counters across replicas, not the gauges).
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._alerts = Counter(
            "pager_alerts_received",
            "Alerts received, by integration and what became of them",
            ["integration", "outcome"],
            registry=self.registry,
        )
        self._notifications = Counter(
            "pager_notifications",
            "Pages attempted (one message to one address), by channel and outcome",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self._lateness = Histogram(
            "pager_escalation_lateness_seconds",
            "When an escalation (level 2 and up, or a later round) was paged, minus its deadline",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self._time_to_ack = Histogram(
            "pager_time_to_acknowledge_seconds",
            "From an incident opening to its acknowledgement",
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self._socket_reconnects = Counter(
            "pager_slack_socket_reconnects",
            "Slack Socket Mode connections opened after this process's first (drops and Slack's refreshes)",
            registry=self.registry,
        )
        self._zeroes()

    def _zeroes(self) -> None:
        """Every known label pair from the start, so a rate over a fresh process is not blank."""
        for integration in INTEGRATIONS:
            for result in ALERT_OUTCOMES:
                self._alerts.labels(integration, result)
        for channel in Channel:
            for outcome in NotificationOutcome:
                self._notifications.labels(channel.value, outcome.value)

    def alert_applied(self, source: str, result: str) -> None:
        self._alerts.labels(source, result).inc()

    def alert_rejected(self, integration: str) -> None:
        """A request to an alert endpoint was refused (bad key, payload or signature; over the limit)."""
        self._alerts.labels(integration, "rejected").inc()

    def escalated(self, late_by: timedelta) -> None:
        self._lateness.observe(max(late_by.total_seconds(), 0.0))

    def acknowledged(self, after: timedelta) -> None:
        self._time_to_ack.observe(max(after.total_seconds(), 0.0))

    def notified(self, channel: Channel, outcome: NotificationOutcome) -> None:
        self._notifications.labels(channel.value, outcome.value).inc()

    def slack_socket_reconnected(self) -> None:
        self._socket_reconnects.inc()

    def read_at_scrape(self, gauges: Callable[[], Gauges]) -> None:
        """Report `gauges()` (open incidents, outbox backlog) each time the registry is scraped."""
        self.registry.register(_GaugeCollector(gauges))


class _GaugeCollector(Collector):
    def __init__(self, read: Callable[[], Gauges]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        return list(_families())

    def collect(self) -> Iterator[Metric]:
        try:
            gauges = self._read()
        except Exception as exc:  # the database is away: the other metrics are still worth a scrape
            _log.warning("metrics: database gauges unavailable", error=type(exc).__name__)
            return
        yield from _families(gauges)


def _families(gauges: Gauges | None = None) -> Iterator[Metric]:
    incidents = GaugeMetricFamily(
        "pager_open_incidents", "Incidents not resolved yet, by state", labels=["state"]
    )
    backlog = GaugeMetricFamily(
        "pager_outbox_backlog", "Pages queued and not sent yet (waiting, retrying or being sent)"
    )
    if gauges is not None:
        for state, count in sorted(gauges.open_incidents.items()):
            incidents.add_metric([state], count)
        backlog.add_metric([], gauges.outbox_backlog)
    yield incidents
    yield backlog
