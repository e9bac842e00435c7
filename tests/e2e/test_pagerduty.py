"""POST /v2/enqueue through the real app, as a PagerDuty Events API v2 client uses it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.e2e.conftest import PAYMENTS_KEY, Harness
from tests.e2e.vendor_payloads import pagerduty_followup, pagerduty_trigger

URL = "/v2/enqueue"
PROCESSED = {"status": "success", "message": "Event processed", "dedup_key": "samplekeyhere"}


def send(h: Harness, event: object) -> Any:
    return h.client.post(URL, json=event)


def incidents(h: Harness) -> list[Any]:
    return h.api("GET", "/api/incidents?status=all").json()["incidents"]  # type: ignore[attr-defined]


def errors_of(response: Any) -> list[str]:
    body = response.json()
    assert body["status"] == "invalid event"
    return [error.split(":")[0] for error in body["errors"]]


def test_the_documented_trigger_opens_an_incident_and_answers_as_pagerduty(harness: Harness) -> None:
    response = send(harness, pagerduty_trigger(PAYMENTS_KEY))

    assert (response.status_code, response.json()) == (202, PROCESSED)
    assert [(i["summary"], i["state"]) for i in incidents(harness)] == [
        ("Example alert on host1.example.com", "triggered")
    ]


def test_two_triggers_with_one_dedup_key_make_one_incident(harness: Harness) -> None:
    send(harness, pagerduty_trigger(PAYMENTS_KEY))

    response = send(harness, pagerduty_trigger(PAYMENTS_KEY))

    assert response.json() == PROCESSED
    assert len(incidents(harness)) == 1


def test_acknowledge_stops_the_escalation(harness: Harness) -> None:
    send(harness, pagerduty_trigger(PAYMENTS_KEY))
    send(harness, pagerduty_trigger(PAYMENTS_KEY))
    harness.advance(harness.runtime.dispatcher.policy.bundle_window)

    response = send(harness, pagerduty_followup(PAYMENTS_KEY, "acknowledge"))
    harness.advance(timedelta(hours=1))

    assert (response.status_code, response.json()) == (202, PROCESSED)
    incident = incidents(harness)[0]
    assert (incident["state"], incident["acknowledged_by"]) == ("acknowledged", "integration:pagerduty")
    assert "bob@example.com" not in [address for _, address, _ in harness.pages()]


def test_resolve_makes_the_service_healthy(harness: Harness) -> None:
    send(harness, pagerduty_trigger(PAYMENTS_KEY))
    send(harness, pagerduty_followup(PAYMENTS_KEY, "acknowledge"))

    response = send(harness, pagerduty_followup(PAYMENTS_KEY, "resolve"))

    assert (response.status_code, response.json()) == (202, PROCESSED)
    assert [i["state"] for i in incidents(harness)] == ["resolved"]
    assert harness.api("GET", "/api/services").json()[0]["health"] == "healthy"  # type: ignore[attr-defined]


def test_a_trigger_without_dedup_key_gets_one_generated_and_returned(sqlite_harness: Harness) -> None:
    response = send(sqlite_harness, pagerduty_trigger(PAYMENTS_KEY, dedup_key=None))
    dedup_key = response.json()["dedup_key"]

    resolved = send(sqlite_harness, pagerduty_followup(PAYMENTS_KEY, "resolve", dedup_key))

    assert re.fullmatch(r"[0-9a-f]{32}", dedup_key)
    assert resolved.json()["dedup_key"] == dedup_key
    assert [i["state"] for i in incidents(sqlite_harness)] == ["resolved"]


def test_two_triggers_without_dedup_key_are_two_alerts_of_one_incident(sqlite_harness: Harness) -> None:
    first = send(sqlite_harness, pagerduty_trigger(PAYMENTS_KEY, dedup_key=None)).json()["dedup_key"]
    second = send(sqlite_harness, pagerduty_trigger(PAYMENTS_KEY, dedup_key=None)).json()["dedup_key"]

    send(sqlite_harness, pagerduty_followup(PAYMENTS_KEY, "resolve", first))

    assert first != second
    assert [i["state"] for i in incidents(sqlite_harness)] == ["triggered"]


def test_acknowledging_an_unknown_dedup_key_changes_nothing(sqlite_harness: Harness) -> None:
    send(sqlite_harness, pagerduty_trigger(PAYMENTS_KEY))

    response = send(sqlite_harness, pagerduty_followup(PAYMENTS_KEY, "acknowledge", "no-such-key"))

    assert (response.status_code, response.json()["dedup_key"]) == (202, "no-such-key")
    assert [i["state"] for i in incidents(sqlite_harness)] == ["triggered"]


def test_the_timeline_records_the_integration_as_acknowledger(sqlite_harness: Harness) -> None:
    send(sqlite_harness, pagerduty_trigger(PAYMENTS_KEY))
    send(sqlite_harness, pagerduty_followup(PAYMENTS_KEY, "acknowledge"))

    timeline = sqlite_harness.api("GET", "/api/incidents/1").json()["timeline"]  # type: ignore[attr-defined]

    assert timeline[-1]["kind"] == "IncidentAcknowledged"
    assert timeline[-1]["data"] == {"by": "integration:pagerduty"}


def test_a_trigger_without_summary_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    event = pagerduty_trigger(PAYMENTS_KEY)
    del event["payload"]["summary"]

    response = send(sqlite_harness, event)

    assert response.status_code == 400
    assert response.json()["message"] == "Event object is invalid"
    assert errors_of(response) == ["payload.summary"]
    assert incidents(sqlite_harness) == []


def test_a_trigger_with_an_unknown_severity_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    event = pagerduty_trigger(PAYMENTS_KEY)
    event["payload"]["severity"] = "disaster"

    assert errors_of(send(sqlite_harness, event)) == ["payload.severity"]


def test_a_trigger_without_payload_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    event = pagerduty_trigger(PAYMENTS_KEY)
    del event["payload"]

    assert errors_of(send(sqlite_harness, event)) == ["payload"]


def test_a_resolve_without_dedup_key_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    event = pagerduty_followup(PAYMENTS_KEY, "resolve")
    del event["dedup_key"]

    assert errors_of(send(sqlite_harness, event)) == ["dedup_key"]


def test_an_unknown_event_action_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    assert errors_of(send(sqlite_harness, pagerduty_followup(PAYMENTS_KEY, "snooze"))) == ["event_action"]


def test_a_dedup_key_over_255_characters_is_refused(sqlite_harness: Harness) -> None:
    event = pagerduty_trigger(PAYMENTS_KEY, dedup_key="k" * 256)

    assert errors_of(send(sqlite_harness, event)) == ["dedup_key"]
    assert incidents(sqlite_harness) == []


def test_a_missing_routing_key_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    event = pagerduty_trigger(PAYMENTS_KEY)
    del event["routing_key"]

    assert errors_of(send(sqlite_harness, event)) == ["routing_key"]


def test_an_unknown_routing_key_is_refused_with_401_and_nothing_is_stored(sqlite_harness: Harness) -> None:
    response = send(sqlite_harness, pagerduty_trigger("not-a-key"))

    assert response.status_code == 401
    assert response.json()["status"] == "unauthorized"
    assert [e.split(":")[0] for e in response.json()["errors"]] == ["routing_key"]
    assert incidents(sqlite_harness) == []


def test_malformed_json_is_refused_in_pagerdutys_shape(sqlite_harness: Harness) -> None:
    response = sqlite_harness.client.post(URL, content=b'{"routing_key": ')

    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"
    assert "not valid JSON" in response.json()["message"]


def test_a_body_that_is_not_an_object_is_refused_with_400(sqlite_harness: Harness) -> None:
    assert errors_of(send(sqlite_harness, ["trigger"])) == ["routing_key"]


def test_a_body_over_one_mebibyte_is_refused_with_413(sqlite_harness: Harness) -> None:
    event = pagerduty_trigger(PAYMENTS_KEY)
    event["payload"]["custom_details"] = {"blob": "x" * (1024 * 1024)}

    response = send(sqlite_harness, event)

    assert response.status_code == 413
    assert set(response.json()) == {"status", "message", "errors"}
    assert incidents(sqlite_harness) == []
