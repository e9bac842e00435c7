"""POST /webhooks/grafana through the real app: Grafana's documented notification, signed or not."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from domain.model import ServiceId
from tests.e2e.conftest import PAYMENTS_KEY, SEARCH_KEY, Harness
from tests.e2e.test_metrics import sample
from tests.e2e.vendor_payloads import grafana

URL = "/webhooks/grafana"
SECRET = "grafana-shared-secret-0123"


@pytest.fixture
def signed(sqlite_harness: Harness) -> Iterator[Harness]:
    """The harness with a grafana_secret on the payments service (search has none)."""
    config = sqlite_harness.runtime.config
    sqlite_harness.runtime.config = replace(config, grafana_secrets={ServiceId("payments"): SECRET})
    yield sqlite_harness


def sign(body: bytes, secret: str = SECRET, timestamp: str | None = None) -> dict[str, str]:
    """The headers Grafana sends with an HMAC signature configured: hex(HMAC-SHA256([ts ":"] body))."""
    message = body if timestamp is None else f"{timestamp}:".encode() + body
    headers = {"X-Grafana-Alerting-Signature": hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()}
    if timestamp is not None:
        headers["X-Grafana-Alerting-Timestamp"] = timestamp
    return headers


def post(h: Harness, body: bytes, key: str = PAYMENTS_KEY, headers: dict[str, str] | None = None) -> Any:
    sent = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(headers or {})}
    return h.client.post(URL, content=body, headers=sent)


def incidents(h: Harness) -> list[Any]:
    return h.api("GET", "/api/incidents?status=all").json()["incidents"]  # type: ignore[attr-defined]


def test_the_documented_notification_opens_one_incident_for_its_two_alerts(harness: Harness) -> None:
    response = post(harness, json.dumps(grafana()).encode())

    assert response.status_code == 202
    assert [(a["fingerprint"], a["result"]) for a in response.json()["alerts"]] == [
        ("c6eadffa33fcdf37", "opened"),
        ("bc97ff14869b13e3", "appended"),
    ]
    assert [i["summary"] for i in incidents(harness)] == ["This alert was triggered for zone us-1"]


def test_the_resolved_notification_resolves_the_incident(harness: Harness) -> None:
    post(harness, json.dumps(grafana()).encode())

    post(harness, json.dumps(grafana("resolved")).encode())

    assert [i["state"] for i in incidents(harness)] == ["resolved"]
    assert harness.api("GET", "/api/services").json()[0]["health"] == "healthy"  # type: ignore[attr-defined]


def test_a_body_signed_with_a_timestamp_is_accepted(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()

    response = post(signed, body, headers=sign(body, timestamp=str(int(time.time()))))

    assert response.status_code == 202
    assert len(incidents(signed)) == 1


def test_a_body_signed_without_a_timestamp_is_accepted(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()

    assert post(signed, body, headers=sign(body)).status_code == 202


def test_a_wrong_signature_is_refused_with_401_and_nothing_is_stored(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()

    response = post(signed, body, headers=sign(body, secret="another-secret"))

    assert response.status_code == 401
    assert "X-Grafana-Alerting-Signature" in response.json()["error"]
    assert incidents(signed) == []


def test_a_body_changed_after_signing_is_refused(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()
    headers = sign(body, timestamp=str(int(time.time())))

    response = post(signed, body.replace(b"us-1", b"us-2"), headers=headers)

    assert response.status_code == 401


def test_a_signature_made_for_another_timestamp_is_refused(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()
    now = int(time.time())
    headers = {**sign(body, timestamp=str(now)), "X-Grafana-Alerting-Timestamp": str(now - 1)}

    assert post(signed, body, headers=headers).status_code == 401


def test_an_old_timestamp_is_refused_as_a_replay(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()

    response = post(signed, body, headers=sign(body, timestamp=str(int(time.time()) - 600)))

    assert response.status_code == 401
    assert "X-Grafana-Alerting-Timestamp" in response.json()["error"]
    assert incidents(signed) == []


def test_a_timestamp_far_in_the_future_is_refused_and_nothing_is_stored(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()

    response = post(signed, body, headers=sign(body, timestamp=str(int(time.time()) + 600)))

    assert (response.status_code, incidents(signed)) == (401, [])


def test_a_signed_notification_replayed_within_five_minutes_opens_no_second_incident(signed: Harness) -> None:
    body = json.dumps(grafana()).encode()
    headers = sign(body, timestamp=str(int(time.time())))
    post(signed, body, headers=headers)

    response = post(signed, body, headers=headers)

    assert response.status_code == 202
    assert [a["result"] for a in response.json()["alerts"]] == ["appended", "appended"]
    assert len(incidents(signed)) == 1


def test_an_unsigned_body_is_refused_when_the_service_has_a_secret(signed: Harness) -> None:
    response = post(signed, json.dumps(grafana()).encode())

    assert response.status_code == 401
    assert incidents(signed) == []


def test_a_service_without_a_secret_takes_unsigned_bodies(signed: Harness) -> None:
    response = post(signed, json.dumps(grafana()).encode(), key=SEARCH_KEY)

    assert response.status_code == 202


def test_an_unknown_key_is_refused_with_401(sqlite_harness: Harness) -> None:
    response = post(sqlite_harness, json.dumps(grafana()).encode(), key="not-a-key")

    assert response.status_code == 401
    assert incidents(sqlite_harness) == []


def test_malformed_json_is_refused_with_400(sqlite_harness: Harness) -> None:
    assert post(sqlite_harness, b'{"alerts": [').status_code == 400


def test_an_alert_without_labels_is_refused_naming_the_field(sqlite_harness: Harness) -> None:
    payload = grafana()
    del payload["alerts"][0]["labels"]

    response = post(sqlite_harness, json.dumps(payload).encode())

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["alerts.0.labels"]
    assert incidents(sqlite_harness) == []


def test_a_body_over_one_mebibyte_is_refused_with_413(sqlite_harness: Harness) -> None:
    payload = grafana()
    payload["message"] = "x" * (1024 * 1024)

    assert post(sqlite_harness, json.dumps(payload).encode()).status_code == 413


def test_a_mixed_notification_keeps_the_incident_while_one_alert_fires(sqlite_harness: Harness) -> None:
    post(sqlite_harness, json.dumps(grafana()).encode())
    mixed = grafana()
    mixed["alerts"][0]["status"] = "resolved"

    response = post(sqlite_harness, json.dumps(mixed).encode())

    assert [a["result"] for a in response.json()["alerts"]] == ["appended", "appended"]
    assert [i["state"] for i in incidents(sqlite_harness)] == ["triggered"]


def test_a_truncated_notification_is_accepted_with_the_alerts_it_carries(sqlite_harness: Harness) -> None:
    payload = {**grafana(), "truncatedAlerts": 7}

    response = post(sqlite_harness, json.dumps(payload).encode())

    assert response.status_code == 202
    assert len(response.json()["alerts"]) == 2


def test_the_firing_notification_retried_after_the_resolution_changes_nothing(harness: Harness) -> None:
    post(harness, json.dumps(grafana()).encode())
    harness.advance(harness.runtime.dispatcher.policy.bundle_window)
    paged = harness.pages()
    post(harness, json.dumps(grafana("resolved")).encode())

    response = post(harness, json.dumps(grafana()).encode())
    harness.advance(timedelta(hours=1))

    assert response.status_code == 202
    assert [(a["incident_id"], a["result"]) for a in response.json()["alerts"]] == [(None, "ignored")] * 2
    assert [i["state"] for i in incidents(harness)] == ["resolved"]
    assert harness.pages() == paged
    assert sample(harness, "pager_alerts_received_total", integration="grafana", outcome="ignored") == 2


def test_a_firing_that_started_after_the_resolution_opens_a_new_incident(harness: Harness) -> None:
    post(harness, json.dumps(grafana()).encode())
    post(harness, json.dumps(grafana("resolved")).encode())
    again = grafana()
    for alert in again["alerts"]:
        alert["startsAt"] = "2021-10-12T11:00:00+02:00"

    response = post(harness, json.dumps(again).encode())

    assert [a["result"] for a in response.json()["alerts"]] == ["opened", "appended"]
    assert [i["state"] for i in incidents(harness)] == ["triggered", "resolved"]
