"""Vendor payloads with fields removed or retyped, malformed JSON, wrong content types, oversized bodies."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.fuzz_harness import PAYMENTS_KEY, FuzzApp, running_fuzz_app
from tests.e2e.vendor_payloads import alertmanager, am_alert, grafana, pagerduty_followup, pagerduty_trigger

MIB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"
VALID: dict[str, Any] = {
    "/webhooks/generic": {
        "summary": "Database connections exhausted",
        "status": "firing",
        "dedup_key": "db-conn",
        "severity": "critical",
        "details": {"pool": "primary", "used": 100},
    },
    "/webhooks/alertmanager": alertmanager(am_alert("fp-1"), am_alert("fp-2", status="resolved")),
    "/webhooks/grafana": grafana(),
    "/v2/enqueue": pagerduty_trigger(PAYMENTS_KEY),
}
JSON_ENDPOINTS = sorted(VALID)
POST_ENDPOINTS = [
    *JSON_ENDPOINTS,
    "/api/incidents/1/acknowledge",
    "/api/incidents/1/resolve",
    "/twilio/sms",
    "/twilio/status",
    "/slack/events",
]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.just("x" * 2000),
    st.just(""),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzApp]:
    tmp_path = tmp_path_factory.mktemp("fuzz")
    yield from running_fuzz_app(f"sqlite:///{tmp_path}/pager.db", tmp_path)


@pytest.fixture(scope="module")
def api_schema(fuzz: FuzzApp) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz.client.app)


def places(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every value inside nested dicts and lists."""
    if isinstance(node, dict):
        items: list[tuple[Any, Any]] = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    return [p for key, child in items for p in [(*at, key), *places(child, (*at, key))]]


@st.composite
def mutated(draw: st.DrawFn, payload: Any) -> Any:
    """`payload` with one to three of its values removed or replaced by a value of another type."""
    payload = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, 3))):
        found = places(payload)
        if not found:
            break
        *parents, key = draw(st.sampled_from(found))
        parent = payload
        for step in parents:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
        else:
            parent[key] = draw(junk)
    return payload


def assert_well_answered(fuzz: FuzzApp, api_schema: Any, path: str, send: Any) -> httpx2.Response:
    """Never a 5xx; a refusal says why and stores nothing; an acceptance answers as documented."""
    before = fuzz.rows()
    response: httpx2.Response = send()
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and (body.get("error") or body.get("message")), response.text
        assert fuzz.rows() == before
    else:
        api_schema[path]["POST"].validate_response(response)
    return response


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_a_mutated_vendor_payload_is_answered_well(fuzz: FuzzApp, api_schema: Any, path: str) -> None:
    @given(payload=mutated(VALID[path]))
    @SETTINGS
    def check(payload: Any) -> None:
        body = json.dumps(payload).encode()
        assert_well_answered(
            fuzz, api_schema, path, lambda: fuzz.send("POST", path, body, "application/json")
        )

    check()


def test_a_pagerduty_followup_with_mutated_fields_is_answered_well(fuzz: FuzzApp, api_schema: Any) -> None:
    @given(payload=mutated(pagerduty_followup(PAYMENTS_KEY, "acknowledge")))
    @SETTINGS
    def check(payload: Any) -> None:
        body = json.dumps(payload).encode()
        assert_well_answered(
            fuzz,
            api_schema,
            "/v2/enqueue",
            lambda: fuzz.send("POST", "/v2/enqueue", body, "application/json"),
        )

    check()


def not_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_malformed_json_is_refused_with_400(fuzz: FuzzApp, api_schema: Any, path: str) -> None:
    truncated = (
        st.sampled_from(JSON_ENDPOINTS)
        .map(lambda p: json.dumps(VALID[p]).encode())
        .flatmap(lambda body: st.integers(1, len(body) - 1).map(lambda n: body[:n]))
    )

    @given(body=st.one_of(st.binary(max_size=64), truncated).filter(not_json))
    @SETTINGS
    def check(body: bytes) -> None:
        response = assert_well_answered(
            fuzz, api_schema, path, lambda: fuzz.send("POST", path, body, "application/json")
        )
        assert response.status_code == 400

    check()


@pytest.mark.parametrize("path", POST_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", FORM, None]
)
def test_a_payload_under_another_content_type_is_answered_well(
    fuzz: FuzzApp, api_schema: Any, path: str, content_type: str | None
) -> None:
    payload = VALID.get(path, {"by": "alice", "MessageSid": "SM1", "From": "+33612345678"})
    body = json.dumps(payload).encode()
    documented = path.replace("/1/", "/{incident_id}/")

    assert_well_answered(fuzz, api_schema, documented, lambda: fuzz.send("POST", path, body, content_type))


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_a_body_over_one_mebibyte_is_refused_with_413(fuzz: FuzzApp, path: str) -> None:
    before = fuzz.rows()

    response = fuzz.send("POST", path, b"{" + b" " * MIB + b"}", "application/json")

    answer = response.json()
    assert (response.status_code, fuzz.rows()) == (413, before)
    assert "larger than" in answer.get("error", answer.get("message"))
