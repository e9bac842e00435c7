"""/openapi.json documents the integration endpoints, their payloads and their error answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import Harness


def operation(h: Harness, path: str) -> Any:
    return h.client.get("/openapi.json").json()["paths"][path]["post"]


def body_schema(op: Any) -> Any:
    return op["requestBody"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/webhooks/alertmanager", {"version", "status", "groupKey", "truncatedAlerts", "alerts"}),
        ("/webhooks/grafana", {"title", "message", "state", "alerts"}),
        ("/v2/enqueue", {"routing_key", "event_action", "dedup_key", "payload"}),
    ],
)
def test_each_endpoint_documents_its_payload(sqlite_harness: Harness, path: str, fields: set[str]) -> None:
    assert fields <= set(body_schema(operation(sqlite_harness, path))["properties"])


@pytest.mark.parametrize("path", ["/webhooks/alertmanager", "/webhooks/grafana", "/v2/enqueue"])
def test_nested_payload_models_are_written_inline_not_as_dangling_references(
    sqlite_harness: Harness, path: str
) -> None:
    assert "$defs" not in json.dumps(body_schema(operation(sqlite_harness, path)))


def test_the_alert_of_a_notification_documents_its_fingerprint(sqlite_harness: Harness) -> None:
    alert = body_schema(operation(sqlite_harness, "/webhooks/alertmanager"))["properties"]["alerts"]["items"]

    assert {"status", "labels", "annotations", "fingerprint", "generatorURL"} <= set(alert["properties"])


@pytest.mark.parametrize(
    ("path", "codes"),
    [
        ("/webhooks/alertmanager", {"202", "400", "401", "413", "422"}),
        ("/webhooks/grafana", {"202", "400", "401", "413", "422"}),
        ("/v2/enqueue", {"202", "400", "401", "413"}),
    ],
)
def test_each_endpoint_documents_its_answers(sqlite_harness: Harness, path: str, codes: set[str]) -> None:
    assert codes <= set(operation(sqlite_harness, path)["responses"])
