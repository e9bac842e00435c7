"""Maintenance windows through the real HTTP app: opened, listed and ended by the API; alerts answered
`suppressed` by every alert endpoint; what still fires paged at the end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.e2e.conftest import PAYMENTS_KEY, Harness
from tests.e2e.vendor_payloads import alertmanager, am_alert, grafana
from tests.fakes import T0

LEVEL_1 = [("email", "alice@example.com"), ("sms", "+33612345678")]


def open_window(harness: Harness, **fields: object) -> Any:
    body = {"services": ["payments"], "duration": "1h", "reason": "deploy", "by": "alice", **fields}
    return harness.api("POST", "/api/maintenance", body)


def paged(harness: Harness) -> list[tuple[str, str]]:
    """Each page as (channel, address): incident ids differ by database (PostgreSQL reserves some)."""
    return sorted((channel, address) for channel, address, _ in harness.pages())


def metric(harness: Harness, line_start: str) -> float:
    for line in harness.client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_window_opened_by_the_api_is_answered_201_with_its_times(harness: Harness) -> None:
    answer = open_window(harness)

    assert answer.status_code == 201
    assert answer.json() == {
        "id": 1,
        "services": ["payments"],
        "from": T0.isoformat().replace("+00:00", "Z"),
        "to": (T0 + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "reason": "deploy",
        "created_by": "alice",
    }


def test_every_alert_endpoint_answers_suppressed_during_a_window(harness: Harness) -> None:
    open_window(harness)
    headers = {"Authorization": f"Bearer {PAYMENTS_KEY}"}

    generic = harness.alert({"summary": "disk full", "dedup_key": "disk"})
    am = harness.client.post("/webhooks/alertmanager", json=alertmanager(am_alert("fp1")), headers=headers)
    gr = harness.client.post("/webhooks/grafana", json=grafana(), headers=headers)
    pd = harness.client.post(
        "/v2/enqueue",
        json={
            "routing_key": PAYMENTS_KEY,
            "event_action": "trigger",
            "dedup_key": "pd1",
            "payload": {"summary": "down", "source": "db1", "severity": "critical"},
        },
    )
    harness.advance(timedelta(minutes=30))

    assert generic.json() == {"incident_id": None, "result": "suppressed"}
    assert [a["result"] for a in am.json()["alerts"]] == ["suppressed"]
    assert {a["result"] for a in gr.json()["alerts"]} == {"suppressed"}
    assert (pd.status_code, pd.json()["status"]) == (202, "success")
    assert harness.pages() == []
    assert metric(harness, 'pager_alerts_received_total{integration="generic",outcome="suppressed"}') == 1


def test_an_alert_still_firing_at_the_end_pages_level_1_then(harness: Harness) -> None:
    open_window(harness)
    harness.alert({"summary": "disk full", "dedup_key": "disk"})

    harness.advance(timedelta(minutes=59))
    before = harness.pages()
    harness.advance(timedelta(minutes=1))

    assert before == []
    assert paged(harness) == LEVEL_1
    [incident] = harness.api("GET", "/api/incidents").json()["incidents"]
    assert (incident["summary"], incident["state"]) == ("disk full", "triggered")


def test_an_alert_resolved_during_the_window_never_pages(harness: Harness) -> None:
    open_window(harness)
    harness.alert({"summary": "disk full", "dedup_key": "disk"})

    resolved = harness.alert({"status": "resolved", "dedup_key": "disk"})
    harness.advance(timedelta(hours=2))

    assert resolved.json() == {"incident_id": None, "result": "suppressed"}
    assert harness.pages() == []


def test_the_listing_shows_windows_quiet_services_and_kept_alerts(harness: Harness) -> None:
    open_window(harness)
    harness.alert({"summary": "disk full", "dedup_key": "disk"})

    listing = harness.api("GET", "/api/maintenance").json()

    assert [w["services"] for w in listing["windows"]] == [["payments"]]
    assert listing["in_maintenance"] == ["payments"]
    assert [(a["dedup_key"], a["summary"]) for a in listing["suppressed"]] == [("disk", "disk full")]
    assert metric(harness, "pager_maintenance_windows_active ") == 1
    assert metric(harness, "pager_maintenance_suppressed_alerts ") == 1


def test_deleting_a_window_ends_it_and_pages_what_it_kept_at_once(harness: Harness) -> None:
    window_id = open_window(harness).json()["id"]
    harness.alert({"summary": "disk full", "dedup_key": "disk"})
    harness.clock.advance(timedelta(minutes=5))

    ended = harness.api("DELETE", f"/api/maintenance/{window_id}")
    harness.advance(timedelta(0))

    assert (ended.status_code, ended.json()["to"]) == (200, "2026-11-30T09:05:00Z")
    assert paged(harness) == LEVEL_1
    assert harness.api("GET", "/api/maintenance").json()["windows"] == []


def test_deleting_an_unknown_window_is_404(harness: Harness) -> None:
    answer = harness.api("DELETE", "/api/maintenance/42")

    assert answer.status_code == 404
    assert "42" in answer.json()["error"]


def test_a_window_from_a_later_time_to_an_end_is_taken(harness: Harness) -> None:
    answer = open_window(
        harness, duration=None, **{"from": "2026-11-30T11:00:00+01:00", "to": "2026-11-30T12:00:00+01:00"}
    )

    assert (answer.status_code, answer.json()["from"], answer.json()["to"]) == (
        201, "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z",
    )  # fmt: skip
    assert harness.alert({"summary": "disk full"}).json()["result"] == "opened"


def test_a_window_by_someone_not_in_the_config_is_refused_with_422(harness: Harness) -> None:
    answer = open_window(harness, by="mallory")

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["by"]
    assert harness.api("GET", "/api/maintenance").json()["windows"] == []


def test_a_window_for_an_unknown_service_is_refused_with_422(harness: Harness) -> None:
    answer = open_window(harness, services=["billing"])

    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["services"]


def test_a_window_without_an_end_or_with_a_bad_duration_is_refused_with_422(harness: Harness) -> None:
    no_end = open_window(harness, duration=None)
    bad = open_window(harness, duration="soon")

    assert (no_end.status_code, bad.status_code) == (422, 422)
    assert [e["field"] for e in bad.json()["errors"]] == ["duration"]
    assert harness.api("GET", "/api/maintenance").json()["windows"] == []


def test_the_maintenance_api_wants_the_api_token(harness: Harness) -> None:
    assert harness.client.get("/api/maintenance").status_code == 401
