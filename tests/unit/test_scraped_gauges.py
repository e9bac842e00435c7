"""Gauges read at scrape time: shown as read, left out of one scrape when the database is away."""

from __future__ import annotations

from structlog.testing import capture_logs

from adapters.prometheus_heartbeats import heartbeat_gauges
from domain.heartbeat_model import HeartbeatState


def test_the_gauges_show_what_was_read_at_the_scrape() -> None:
    gauges = heartbeat_gauges(lambda: {HeartbeatState.OVERDUE: 2})

    [family] = list(gauges.collect())

    assert {s.labels["state"]: s.value for s in family.samples} == {"ok": 0, "overdue": 2, "paused": 0}


def test_a_database_away_leaves_the_gauges_out_of_that_scrape_and_says_so() -> None:
    def away() -> dict[HeartbeatState, int]:
        raise ConnectionError("database away")

    with capture_logs() as logs:
        collected = list(heartbeat_gauges(away).collect())

    assert collected == []
    assert [(e["event"], e["error"]) for e in logs] == [
        ("metrics: heartbeat gauges unavailable", "ConnectionError")
    ]


def test_the_gauges_are_described_without_reading() -> None:
    def never() -> dict[HeartbeatState, int]:
        raise AssertionError("describe must not read the database")

    assert [f.name for f in heartbeat_gauges(never).describe()] == ["pager_heartbeats"]
