"""Every endpoint of /openapi.json fuzzed in process: never a 5xx, refusals explained and stored nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks
from schemathesis.core import NotSet

from tests.e2e.fuzz_harness import FuzzApp, fresh_postgres_database, running_fuzz_app

OPERATIONS = [
    ("POST", "/webhooks/generic"),
    ("POST", "/webhooks/alertmanager"),
    ("POST", "/webhooks/grafana"),
    ("POST", "/v2/enqueue"),
    ("GET", "/api/services"),
    ("GET", "/api/incidents"),
    ("GET", "/api/incidents/{incident_id}"),
    ("POST", "/api/incidents/{incident_id}/acknowledge"),
    ("POST", "/api/incidents/{incident_id}/resolve"),
    ("GET", "/api/oncall"),
    ("GET", "/api/oncall/{rotation}.ics"),
    ("GET", "/api/people/{person}/oncall.ics"),
    ("POST", "/api/maintenance"),
    ("GET", "/api/maintenance"),
    ("DELETE", "/api/maintenance/{window_id}"),
    ("POST", "/heartbeats/{name}"),
    ("GET", "/heartbeats/{name}"),
    ("GET", "/api/heartbeats"),
    ("POST", "/api/heartbeats/{name}/pause"),
    ("POST", "/api/heartbeats/{name}/resume"),
    ("POST", "/twilio/sms"),
    ("POST", "/twilio/status"),
    ("POST", "/twilio/voice"),
    ("POST", "/twilio/voice/status"),
    ("POST", "/slack/events"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]
FORM = "application/x-www-form-urlencoded"
# Schemathesis's data acceptance checks are left out: the schema cannot say "summary is required when
# firing", and its negative cases lack headers the harness then adds. Our own properties replace them.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# Nothing to send but the method and path: there is no wrong input to make up.
NO_INPUT = {"/healthz", "/readyz", "/metrics", "/api/services", "/api/heartbeats", "/api/maintenance"}
# Answers 503 by design while no replica leads (this app runs no timer); test_readiness.py covers it.
SERVER_ERROR_BY_DESIGN = {"/readyz"}
# PostgreSQL refuses what SQLite stores (a NUL character, say): both are fuzzed, the slower one less.
EXAMPLES = {"sqlite": 30, "postgresql": 10}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzApp]:
    tmp_path = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        yield from running_fuzz_app(f"sqlite:///{tmp_path}/pager.db", tmp_path)
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_server_url")) as url:
        yield from running_fuzz_app(url, tmp_path)


@pytest.fixture(scope="module")
def api_schema(fuzz: FuzzApp) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz.client.app)


def test_every_route_is_documented_and_fuzzed(fuzz: FuzzApp) -> None:
    routes = {
        (method, route.path) for route in api_routes(fuzz.client.app.routes) for method in route.methods
    }
    paths = fuzz.client.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, operations in paths.items() for method in operations}

    assert routes == documented == set(OPERATIONS)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/twilio/sms", FORM),
        ("/twilio/status", FORM),
        ("/twilio/voice", FORM),
        ("/twilio/voice/status", FORM),
        ("/slack/events", FORM),
        ("/slack/events", "application/json"),
    ],
)
def test_the_form_endpoints_document_their_body_and_signature_header(
    fuzz: FuzzApp, path: str, media_type: str
) -> None:
    operation = fuzz.client.get("/openapi.json").json()["paths"][path]["post"]

    assert operation["requestBody"]["content"][media_type]["schema"]["type"] == "object"
    assert any(p["in"] == "header" and "Signature" in p["name"] for p in operation["parameters"])


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, those of included routers too (FastAPI keeps them apart, with no public accessor)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from api_routes(router.routes)


def encoded(case: Any) -> bytes | None:
    """The generated body as bytes, serialized here so that the harness signs exactly what is sent."""
    if isinstance(case.body, NotSet):
        return None
    if isinstance(case.body, bytes):
        return case.body
    if case.media_type == FORM:
        fields = case.body if isinstance(case.body, dict) else {"value": case.body}
        return urlencode({k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}).encode()
    return json.dumps(case.body).encode()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_no_request_is_answered_with_a_server_error(
    fuzz: FuzzApp, api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    if mode is GenerationMode.NEGATIVE and path in NO_INPUT:
        pytest.skip("no input to get wrong")
    if path in SERVER_ERROR_BY_DESIGN:
        pytest.skip("503 while not ready is its documented answer")
    operation = api_schema[path][method]

    # Schemathesis makes up the requests and judges the answers; the harness sends them, signed
    # (its pytest plugin, which would send them itself, does not run on pytest 9.2).
    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES[fuzz.runtime.engine.dialect.name],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case: Any) -> None:
        before = fuzz.rows()
        response = fuzz.send(
            case.method, case.formatted_path, encoded(case), case.media_type, case.query, case.headers
        )
        assert response.status_code < 500, response.text
        if 400 <= response.status_code < 500:
            assert fuzz.rows() == before
            assert explains(response), response.text
        case.validate_response(response, checks=CHECKS)

    check()


def explains(response: Any) -> bool:
    """A refusal is a JSON object saying what was wrong (PagerDuty's shape on its own endpoint); a 422
    names each field at fault."""
    body = response.json()
    if not isinstance(body, dict) or not (body.get("error") or body.get("message")):
        return False
    return response.status_code != 422 or all(e.get("field") for e in body.get("errors") or [{}])
