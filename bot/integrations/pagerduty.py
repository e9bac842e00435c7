"""POST /v2/enqueue: PagerDuty Events API v2, so tools that page PagerDuty can page us instead."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from bot.errors import ApiError, field_errors
from bot.integrations.openapi import request_body
from bot.rate_limit import check_rate
from bot.webhooks import find_service, parse_json, read_body
from domain.alerts import Alert, AlertStatus
from domain.model import ServiceId

SOURCE = "pagerduty"
# Who acknowledged, on the timeline: the monitor, not a person of the config.
ACKNOWLEDGED_BY = "integration:pagerduty"

router = APIRouter(tags=["integrations"])


class PagerDutyPayload(BaseModel):
    """`payload` of a trigger event: what is wrong, where, how badly."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, populate_by_name=True)

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=1024, description="The affected system, like a hostname.")
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: str | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(None, alias="class")
    custom_details: Any = None


class PagerDutyEvent(BaseModel):
    """An alert event; `payload` is required on trigger, `dedup_key` on acknowledge and resolve."""

    # images, links, client and client_url are accepted and not used.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    routing_key: str = Field(min_length=1, description="The integration key of a service.")
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(None, min_length=1, max_length=255)
    payload: PagerDutyPayload | None = None

    def problems(self) -> list[str]:
        if self.event_action == "trigger" and self.payload is None:
            return ["payload: required when event_action is trigger"]
        if self.event_action != "trigger" and self.dedup_key is None:
            return [f"dedup_key: required when event_action is {self.event_action}"]
        return []


class PagerDutyAccepted(BaseModel):
    status: Literal["success"] = "success"
    message: str = "Event processed"
    dedup_key: str


class PagerDutyError(BaseModel):
    status: str
    message: str
    errors: list[str] = []


class _Refused(Exception):
    def __init__(self, status: int, answer: PagerDutyError, headers: dict[str, str] | None = None) -> None:
        super().__init__(answer.message)
        self.status, self.answer, self.headers = status, answer, headers


def _invalid(errors: list[str]) -> _Refused:
    return _Refused(
        400, PagerDutyError(status="invalid event", message="Event object is invalid", errors=errors)
    )


_REFUSAL_STATUS = {400: "invalid event", 401: "unauthorized", 413: "request too large", 429: "throttled"}


def _refusal(exc: ApiError) -> _Refused:
    """A refusal of the shared webhook helpers (size, JSON, key, rate limit) said in PagerDuty's shape."""
    status = _REFUSAL_STATUS.get(exc.status, "error")
    errors = [f"routing_key: {exc.message}"] if exc.status == 401 else [exc.message]
    return _Refused(
        exc.status, PagerDutyError(status=status, message=exc.message, errors=errors), exc.headers
    )


async def _event(request: Request) -> tuple[ServiceId, PagerDutyEvent]:
    """The event and the service it is for; every refusal in PagerDuty's shape."""
    try:
        data = parse_json(await read_body(request))
        key = data.get("routing_key") if isinstance(data, dict) else None
        if not isinstance(key, str) or not key.strip():
            raise _invalid(["routing_key: required, the integration key of a service"])
        service_id = find_service(request.app.state.runtime.config.integration_keys, key.strip())
        check_rate(request, service_id)
    except ApiError as exc:
        raise _refusal(exc) from None
    try:
        event = PagerDutyEvent.model_validate(data)
    except ValidationError as exc:
        raise _invalid([f"{e.field}: {e.reason}" for e in field_errors(exc)]) from None
    if problems := event.problems():
        raise _invalid(problems)
    return service_id, event


async def _apply(request: Request, service_id: ServiceId, event: PagerDutyEvent) -> str:
    """Apply the event, committed on return; the dedup key it was applied under."""
    pager = request.app.state.runtime.pager
    if event.event_action == "acknowledge":
        assert event.dedup_key is not None
        await run_in_threadpool(pager.acknowledge_alert, service_id, event.dedup_key, ACKNOWLEDGED_BY)
        return event.dedup_key
    if event.event_action == "resolve":
        assert event.dedup_key is not None
        alert = Alert("resolved", AlertStatus.RESOLVED, event.dedup_key, source=SOURCE)
    else:
        assert event.payload is not None
        alert = _trigger(event.payload, event.dedup_key or uuid.uuid4().hex)
    await request.app.state.runtime.intake.apply(service_id, [alert])
    return str(alert.dedup_key)


def _trigger(payload: PagerDutyPayload, dedup_key: str) -> Alert:
    details = payload.model_dump(by_alias=True, exclude={"summary", "severity"}, exclude_none=True)
    return Alert(payload.summary, AlertStatus.FIRING, dedup_key, payload.severity, SOURCE, details)


@router.post(
    "/v2/enqueue",
    status_code=202,
    response_model=PagerDutyAccepted,
    responses={
        400: {"model": PagerDutyError, "description": "Malformed JSON or an invalid event (fields named)"},
        401: {"model": PagerDutyError, "description": "routing_key is no service's integration key"},
        413: {"model": PagerDutyError, "description": "Body over 1 MiB"},
        429: {"model": PagerDutyError, "description": "Over the service's rate limit; see Retry-After"},
    },
    summary="PagerDuty Events API v2 compatible: trigger, acknowledge, resolve",
    openapi_extra=request_body(PagerDutyEvent),
)
async def enqueue(request: Request) -> PagerDutyAccepted | JSONResponse:
    """Trigger opens or joins the service's incident; acknowledge stops its escalation; resolve ends it."""
    try:
        service_id, event = await _event(request)
    except _Refused as refused:
        return JSONResponse(refused.answer.model_dump(), status_code=refused.status, headers=refused.headers)
    return PagerDutyAccepted(dedup_key=await _apply(request, service_id, event))
