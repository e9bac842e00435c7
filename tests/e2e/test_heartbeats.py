"""Heartbeats through HTTP: pings by integration key, expiry paging, the API to list, pause and resume."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PAYMENTS_KEY, SEARCH_KEY, Harness, make_harness
from tests.fakes import T0

HEARTBEATS = """
heartbeats:
  backup: {service: payments, interval: 1h, grace: 10m, summary: Backup did not report}
"""
ALLOWANCE = timedelta(minutes=70)


@pytest.fixture
def h(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    for harness in make_harness(database_url, tmp_path, extra_config=HEARTBEATS):
        harness.runtime.pager.engine.rearm()  # as `pager serve` does at start
        yield harness


def ping(h: Harness, key: str = PAYMENTS_KEY, name: str = "backup") -> Any:
    return h.client.post(f"/heartbeats/{name}", headers={"Authorization": f"Bearer {key}"})


def listed(h: Harness) -> dict[str, Any]:
    [found] = h.api("GET", "/api/heartbeats").json()  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def test_a_ping_is_accepted_with_the_next_expected_time(h: Harness) -> None:
    h.clock.advance(timedelta(minutes=5))

    answer = ping(h)

    assert answer.status_code == 202
    assert answer.json() == {
        "heartbeat": "backup",
        "state": "ok",
        "next_expected_at": (T0 + timedelta(minutes=5) + ALLOWANCE).isoformat().replace("+00:00", "Z"),
    }


def test_a_get_with_the_key_in_the_query_is_a_ping(h: Harness) -> None:
    answer = h.client.get(f"/heartbeats/backup?key={PAYMENTS_KEY}")

    assert answer.status_code == 202
    assert listed(h)["last_ping_at"] is not None


def test_alertmanagers_watchdog_notification_is_a_ping(h: Harness) -> None:
    watchdog = {"version": "4", "status": "firing", "alerts": [{"labels": {"alertname": "Watchdog"}}]}

    answer = h.client.post(
        "/heartbeats/backup", json=watchdog, headers={"Authorization": f"Bearer {PAYMENTS_KEY}"}
    )

    assert answer.status_code == 202
    assert listed(h)["last_ping_at"] is not None


def test_a_wrong_key_is_refused_as_the_generic_webhook_refuses_it(h: Harness) -> None:
    answer = ping(h, key="not-a-key")

    assert answer.status_code == 401
    assert answer.json() == {"error": "missing or unknown integration key", "errors": []}
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("name", "key"), [("nightly", PAYMENTS_KEY), ("backup", SEARCH_KEY)])
def test_an_unknown_heartbeat_or_another_services_is_not_found(h: Harness, name: str, key: str) -> None:
    answer = ping(h, key=key, name=name)

    assert answer.status_code == 404
    assert answer.json()["error"] == f"unknown heartbeat {name!r}"
    assert listed(h)["last_ping_at"] is None


def test_silence_past_interval_and_grace_pages_and_the_next_ping_resolves(h: Harness) -> None:
    h.advance(ALLOWANCE)
    [incident] = h.api("GET", "/api/incidents").json()["incidents"]  # type: ignore[attr-defined]
    assert incident["summary"] == "Backup did not report"
    assert {address for _, address, _ in h.pages()} == {"+33612345678", "alice@example.com"}
    assert listed(h)["state"] == "overdue"

    assert ping(h).status_code == 202

    resolved = h.api("GET", f"/api/incidents/{incident['id']}").json()  # type: ignore[attr-defined]
    assert (resolved["state"], resolved["resolved_by"]) == ("resolved", "heartbeat")
    assert listed(h)["state"] == "ok"


def test_a_paused_heartbeat_is_listed_paused_and_never_pages(h: Harness) -> None:
    paused = h.api("POST", "/api/heartbeats/backup/pause", {"by": "alice"})

    h.advance(timedelta(days=2))

    assert paused.status_code == 200  # type: ignore[attr-defined]
    assert h.pages() == []
    assert (listed(h)["state"], listed(h)["paused_by"], listed(h)["next_deadline"]) == (
        "paused",
        "alice",
        None,
    )


def test_resume_restarts_the_clock_from_the_resume(h: Harness) -> None:
    h.api("POST", "/api/heartbeats/backup/pause")
    h.clock.advance(timedelta(days=1))

    resumed = h.api("POST", "/api/heartbeats/backup/resume").json()  # type: ignore[attr-defined]

    expected = T0 + timedelta(days=1) + ALLOWANCE
    assert (resumed["state"], resumed["next_deadline"]) == ("ok", expected.isoformat().replace("+00:00", "Z"))


def test_pausing_as_somebody_unknown_is_refused_and_changes_nothing(h: Harness) -> None:
    answer = h.api("POST", "/api/heartbeats/backup/pause", {"by": "mallory"})

    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert listed(h)["state"] == "ok"


def test_pausing_an_unknown_heartbeat_is_not_found(h: Harness) -> None:
    answer = h.api("POST", "/api/heartbeats/nightly/pause")

    assert answer.status_code == 404  # type: ignore[attr-defined]


def test_the_heartbeat_api_wants_the_api_token(h: Harness) -> None:
    assert h.client.get("/api/heartbeats").status_code == 401


def test_metrics_count_heartbeats_by_state_overdue_included(h: Harness) -> None:
    h.advance(ALLOWANCE)

    metrics = h.client.get("/metrics").text

    assert 'pager_heartbeats{state="overdue"} 1.0' in metrics
    assert 'pager_heartbeats{state="ok"} 0.0' in metrics
    assert 'pager_alerts_received_total{integration="heartbeat",outcome="opened"} 1.0' in metrics
