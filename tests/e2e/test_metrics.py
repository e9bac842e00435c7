"""GET /metrics through the real app: counters of what happened, gauges read from the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import PAYMENTS_KEY, SEARCH_KEY, Harness, make_harness


def sample(harness: Harness, name: str, **labels: str) -> float:
    """The value of one sample of GET /metrics (0 when the sample is not there)."""
    answer = harness.client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    for family in text_string_to_metric_families(answer.text):
        for s in family.samples:
            if s.name == name and s.labels == labels:
                return float(s.value)
    return 0.0


def alerts(harness: Harness, integration: str, outcome: str) -> float:
    return sample(harness, "pager_alerts_received_total", integration=integration, outcome=outcome)


def test_alerts_are_counted_by_integration_and_outcome(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.alert({"summary": "DB down"})
    h.alert({"summary": "DB still down"})
    manager_alert = {"status": "firing", "labels": {"alertname": "Disk"}, "fingerprint": "f1"}
    h.client.post(
        f"/webhooks/alertmanager?key={SEARCH_KEY}",
        json={"version": "4", "status": "firing", "alerts": [manager_alert]},
    )

    assert alerts(h, "generic", "opened") == 1
    assert alerts(h, "generic", "appended") == 1
    assert alerts(h, "alertmanager", "opened") == 1
    assert alerts(h, "grafana", "opened") == 0


def test_refused_requests_to_alert_endpoints_are_counted_as_rejected(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.alert({"summary": "DB down"}, key="wrong-key")
    h.alert({"severity": "critical"})  # no summary: 422
    h.client.post("/v2/enqueue", json={"routing_key": "wrong-key", "event_action": "trigger"})
    h.client.get("/api/incidents")  # not an alert endpoint

    assert alerts(h, "generic", "rejected") == 2
    assert alerts(h, "pagerduty", "rejected") == 1
    assert alerts(h, "generic", "opened") == 0


def test_open_incidents_and_the_outbox_backlog_are_read_from_the_database(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})
    harness.alert({"summary": "Search down"}, key=SEARCH_KEY)
    assert sample(harness, "pager_open_incidents", state="triggered") == 2
    assert sample(harness, "pager_outbox_backlog") == 4  # alice's SMS and email, for each incident

    harness.api("POST", "/api/incidents/1/acknowledge", {"by": "alice"})
    harness.advance(timedelta(0))

    assert sample(harness, "pager_open_incidents", state="triggered") == 1
    assert sample(harness, "pager_open_incidents", state="acknowledged") == 1
    assert sample(harness, "pager_outbox_backlog") == 0


def test_pages_escalations_and_acknowledgements_show_in_the_metrics(sqlite_harness: Harness) -> None:
    h = sqlite_harness
    h.alert({"summary": "DB down"})
    h.advance(timedelta(0))
    h.advance(timedelta(minutes=5))  # no ack within the level's 5 minutes: bob is paged
    h.clock.advance(timedelta(minutes=2))
    h.api("POST", "/api/incidents/1/acknowledge", {"by": "bob"})

    assert sample(h, "pager_notifications_total", channel="sms", outcome="sent") == 1
    assert sample(h, "pager_notifications_total", channel="email", outcome="sent") == 2
    assert sample(h, "pager_escalation_lateness_seconds_count") == 1
    assert sample(h, "pager_time_to_acknowledge_seconds_count") == 1
    assert sample(h, "pager_time_to_acknowledge_seconds_bucket", le="600.0") == 1
    assert sample(h, "pager_time_to_acknowledge_seconds_bucket", le="300.0") == 0


def test_two_apps_in_one_process_keep_their_own_metrics(sqlite_harness: Harness, tmp_path: Path) -> None:
    other: Iterator[Harness] = make_harness(f"sqlite:///{tmp_path}/other.db", tmp_path)
    second = next(other)
    try:
        sqlite_harness.alert({"summary": "DB down"}, key=PAYMENTS_KEY)

        assert alerts(sqlite_harness, "generic", "opened") == 1
        assert alerts(second, "generic", "opened") == 0
    finally:
        next(other, None)
