"""Alert webhooks: authenticate the monitor, parse its payload, hand the alert to the pager."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
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
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"body is larger than {limit} bytes")
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
async def generic(request: Request) -> AlertAccepted:
    runtime = request.app.state.runtime
    service_id = find_service(runtime.config.integration_keys, presented_key(request))
    payload = parse_json(await read_body(request))
    try:
        alert_in = GenericAlert.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(422, "invalid alert", field_errors(exc)) from None
    if problems := alert_in.problems():
        raise ApiError(422, "invalid alert", problems)
    [outcome] = await runtime.intake.apply(service_id, [alert_in.to_alert()])
    return AlertAccepted(incident_id=outcome.incident_id, result=outcome.result.value)
