"""Alert webhooks: authenticate the monitor, parse its payload, hand the alert to the pager."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from bot.config import KeyRing
from bot.errors import ApiError, field_errors
from bot.schemas import AlertAccepted, GenericAlert, error_responses
from domain.model import ServiceId

MAX_BODY = 1024 * 1024

router = APIRouter(tags=["webhooks"])

# What every alert endpoint may answer besides its 2xx (each integration adds or rewords its own).
ALERT_ERRORS = {
    400: "Malformed JSON",
    401: "Missing or unknown integration key",
    413: "Body over 1 MiB",
    422: "Payload does not match the schema (the fields are named)",
}


def find_service(keys: KeyRing, presented: str | None) -> ServiceId:
    """The service an integration key belongs to (compared in constant time); 401 for any other key."""
    found = keys.service_for(presented) if presented else None
    if found is None:
        raise ApiError(
            401, "missing or unknown integration key", headers={"WWW-Authenticate": 'Bearer realm="pager"'}
        )
    return found


def presented_key(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.query_params.get("key")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        if int(declared) > limit:
            raise ApiError(413, f"body is larger than {limit} bytes")
        return await request.body()  # the HTTP server reads no more than the length declared
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"body is larger than {limit} bytes")
    return bytes(body)


def parse_json(body: bytes) -> object:
    try:
        return without_nul(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None


def without_nul(node: Any) -> Any:
    """`node` with every U+0000 in its strings and keys made U+FFFD: PostgreSQL cannot store it, and a
    monitor's stray NUL must not cost a page."""
    if isinstance(node, str):
        return node.replace("\x00", "\ufffd")
    if isinstance(node, dict):
        return {without_nul(key): without_nul(value) for key, value in node.items()}
    if isinstance(node, list):
        return [without_nul(item) for item in node]
    return node


@router.post(
    "/webhooks/generic",
    status_code=202,
    response_model=AlertAccepted,
    responses=error_responses(ALERT_ERRORS),
    summary="Report an alert in Pager's own format",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": GenericAlert.model_json_schema()}},
        },
        "parameters": [
            {
                "name": "key",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "Integration key, when the monitor cannot send an Authorization header.",
            }
        ],
    },
)
async def generic(request: Request) -> Response:
    runtime = request.app.state.runtime
    service_id = find_service(runtime.config.integration_keys, presented_key(request))
    alert_in = generic_alert(await read_body(request))
    if problems := alert_in.problems():
        raise ApiError(422, "invalid alert", problems)
    [outcome] = await runtime.intake.apply(service_id, [alert_in.to_alert()])
    return accepted(outcome.incident_id, outcome.result.value)


def generic_alert(body: bytes) -> GenericAlert:
    """The body as a GenericAlert: parsed and validated in one step (pydantic reads the bytes itself),
    unless it holds an escaped NUL, which `parse_json` replaces. A body that fails goes the slow way
    too, so that every refusal says what it always said (400 for bad JSON, 422 naming the fields)."""
    if b"\\u0000" not in body:
        try:
            return GenericAlert.model_validate_json(body)
        except ValidationError:
            pass
    payload = parse_json(body)
    try:
        return GenericAlert.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "invalid alert", field_errors(exc)) from None


def accepted(incident_id: int | None, result: str) -> Response:
    """The 202 answer byte for byte as FastAPI renders `AlertAccepted` (which documents it), without
    validating and encoding a model on every alert. `result` is one of the pager's own words."""
    incident = "null" if incident_id is None else str(int(incident_id))
    body = f'{{"incident_id":{incident},"result":"{result}"}}'.encode()
    return Response(body, status_code=202, media_type="application/json")
