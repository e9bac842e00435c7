"""The Prometheus adapter: its own registry, and a scrape that survives the database being away."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY, generate_latest

from adapters.db.gauges import Gauges
from adapters.prometheus_metrics import PrometheusMetrics
from domain.model import Channel
from domain.observing_ports import NotificationOutcome


def unreachable() -> Gauges:
    raise ConnectionError("database is away")


def test_a_scrape_without_the_database_still_reports_the_counters() -> None:
    metrics = PrometheusMetrics()
    metrics.read_at_scrape(unreachable)
    metrics.notified(Channel.SMS, NotificationOutcome.SENT)

    text = generate_latest(metrics.registry).decode()

    assert 'pager_notifications_total{channel="sms",outcome="sent"} 1.0' in text
    assert "pager_outbox_backlog " not in text


def test_the_gauges_are_what_the_reader_says_at_each_scrape() -> None:
    metrics = PrometheusMetrics()
    reads = iter([Gauges({"triggered": 3, "acknowledged": 0}, 7), Gauges({"triggered": 0}, 0)])
    metrics.read_at_scrape(lambda: next(reads))

    first, second = (generate_latest(metrics.registry).decode() for _ in range(2))

    assert 'pager_open_incidents{state="triggered"} 3.0' in first
    assert "pager_outbox_backlog 7.0" in first
    assert 'pager_open_incidents{state="triggered"} 0.0' in second


def test_the_metrics_stay_off_the_process_wide_registry() -> None:
    metrics = PrometheusMetrics()
    metrics.escalated(timedelta(seconds=2))

    assert b"pager_escalation_lateness_seconds" not in generate_latest(REGISTRY)
