"""POST /webhooks/generic through the real app: accepted means committed, refused means nothing stored."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import PAYMENTS_KEY, SEARCH_KEY, Harness


def stored_incidents(h: Harness) -> list[Any]:
    return h.api("GET", "/api/incidents?status=all").json()["incidents"]  # type: ignore[attr-defined]


def test_firing_alert_opens_an_incident_committed_before_the_answer(harness: Harness) -> None:
    response = harness.alert({"summary": "DB down", "severity": "critical"})

    assert response.status_code == 202
    assert response.json() == {"incident_id": 1, "result": "opened"}
    incident = harness.api("GET", "/api/incidents/1").json()
    assert (incident["state"], incident["service_id"], incident["level"]) == ("triggered", "payments", 1)
    assert [e["kind"] for e in incident["timeline"]][:3] == ["IncidentOpened", "AlertReceived", "LevelPaged"]


def test_alert_details_are_kept_on_the_timeline(harness: Harness) -> None:
    details = {"host": "db-1", "connections": 500, "tags": ["primary", "eu-west"]}

    harness.alert({"summary": "DB down", "dedup_key": "db-1", "details": details})

    received = [
        e for e in harness.api("GET", "/api/incidents/1").json()["timeline"] if e["kind"] == "AlertReceived"
    ]
    assert received[0]["data"]["details"] == details
    assert received[0]["data"]["dedup_key"] == "db-1"


def test_second_alert_is_appended_to_the_open_incident(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})

    response = harness.alert({"summary": "DB still down"})

    assert response.json() == {"incident_id": 1, "result": "appended"}
    assert len(stored_incidents(harness)) == 1


def test_resolved_alert_resolves_the_incident(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})

    response = harness.alert({"status": "resolved"})

    assert response.json() == {"incident_id": 1, "result": "resolved"}
    assert harness.api("GET", "/api/services").json()[0]["health"] == "healthy"


def test_resolved_alert_for_a_healthy_service_is_ignored(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert({"status": "resolved"})

    assert response.status_code == 202
    assert response.json() == {"incident_id": None, "result": "ignored"}


def test_key_in_query_string_is_accepted(sqlite_harness: Harness) -> None:
    response = sqlite_harness.client.post(f"/webhooks/generic?key={SEARCH_KEY}", json={"summary": "slow"})

    assert response.status_code == 202
    assert stored_incidents(sqlite_harness)[0]["service_id"] == "search"


def test_unknown_key_is_refused_with_401_and_nothing_is_stored(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert({"summary": "DB down"}, key="not-a-key")

    assert response.status_code == 401
    assert "integration key" in response.json()["error"]
    assert stored_incidents(sqlite_harness) == []


def test_missing_key_is_refused_with_401(sqlite_harness: Harness) -> None:
    response = sqlite_harness.client.post("/webhooks/generic", json={"summary": "DB down"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_malformed_json_is_refused_with_400_and_nothing_is_stored(sqlite_harness: Harness) -> None:
    response = sqlite_harness.client.post(
        "/webhooks/generic", content=b'{"summary": "DB', headers={"Authorization": f"Bearer {PAYMENTS_KEY}"}
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert stored_incidents(sqlite_harness) == []


def test_firing_alert_without_summary_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert({"severity": "critical"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "summary", "reason": "required when status is firing"}]
    assert stored_incidents(sqlite_harness) == []


def test_unknown_field_is_refused_naming_it(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert({"summary": "DB down", "sumary": "typo"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["sumary"]


def test_wrong_status_value_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert({"summary": "DB down", "status": "broken"})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["status"]


def test_body_that_is_not_an_object_is_refused_with_422(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert(["DB down"])

    assert response.status_code == 422
    assert stored_incidents(sqlite_harness) == []


def test_body_over_one_mebibyte_is_refused_with_413_and_nothing_is_stored(sqlite_harness: Harness) -> None:
    response = sqlite_harness.alert({"summary": "big", "details": {"blob": "x" * (1024 * 1024)}})

    assert response.status_code == 413
    assert stored_incidents(sqlite_harness) == []


def test_alert_pages_level_one_after_the_bundling_window(harness: Harness) -> None:
    harness.alert({"summary": "DB down"})

    harness.advance(harness.runtime.dispatcher.policy.bundle_window)

    assert sorted(harness.pages()) == [("email", "alice@example.com", (1,)), ("sms", "+33612345678", (1,))]


def test_an_alert_arriving_during_shutdown_is_refused_with_503_and_not_stored(harness: Harness) -> None:
    harness.runtime.intake.stop()

    response = harness.alert({"summary": "DB down"})

    assert response.status_code == 503  # type: ignore[attr-defined]
    assert response.headers["Retry-After"] == "5"  # type: ignore[attr-defined]
    assert stored_incidents(harness) == []
