"""Heartbeat endpoints: the ping a cron job or Alertmanager sends, and the API to list, pause and resume."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from bot.api import limit_body, require_token, runtime
from bot.schemas import ActBy, ErrorOut, error_responses
from bot.webhooks import find_service, presented_key
from domain.heartbeat_model import HeartbeatRecord
from domain.heartbeats import HeartbeatView

State = Literal["ok", "overdue", "paused"]


class PingAccepted(BaseModel):
    heartbeat: str
    state: State
    next_expected_at: datetime | None = Field(
        description="The ping must come by then, or an incident opens; null while paused."
    )


class HeartbeatOut(BaseModel):
    name: str
    service_id: str
    summary: str
    interval_seconds: float
    grace_seconds: float
    state: State
    since: datetime | None = Field(description="When the current state began.")
    last_ping_at: datetime | None
    next_deadline: datetime | None = Field(description="Null while paused or overdue.")
    paused_by: str | None

    @classmethod
    def of(cls, view: HeartbeatView) -> HeartbeatOut:
        check, record = view.check, view.record
        return cls(
            name=check.name,
            service_id=check.service,
            summary=check.summary,
            interval_seconds=check.interval.total_seconds(),
            grace_seconds=check.grace.total_seconds(),
            state=view.state.value,
            since=record.since if record else None,
            last_ping_at=record.last_ping_at if record else None,
            next_deadline=record.deadline if record else None,
            paused_by=record.paused_by if record else None,
        )


ping_router = APIRouter(tags=["heartbeats"])
api_router = APIRouter(
    prefix="/api",
    tags=["api"],
    dependencies=[Depends(require_token), Depends(limit_body)],
    responses={401: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)

_PING_ERRORS = error_responses(
    {401: "Missing or unknown integration key", 404: "No heartbeat of that name on the key's service"}
)
_KEY = Query(None, description="Integration key, when the caller cannot send an Authorization header.")


@ping_router.post(
    "/heartbeats/{name}",
    status_code=202,
    response_model=PingAccepted,
    responses=_PING_ERRORS,
    summary="Ping a heartbeat",
)
def ping(request: Request, name: str, key: str | None = _KEY) -> PingAccepted:
    """The job watched is alive: its clock starts again, and an incident its silence opened resolves.
    The body, if any (Alertmanager's notification, say), is ignored."""
    service_id = find_service(runtime(request).config.integration_keys, presented_key(request))
    record = runtime(request).pager.heartbeats.on_ping(name, service_id)
    return _accepted(record)


@ping_router.get(
    "/heartbeats/{name}",
    status_code=202,
    response_model=PingAccepted,
    responses=_PING_ERRORS,
    summary="Ping a heartbeat (for the simplest cron job)",
)
def ping_by_get(request: Request, name: str, key: str | None = _KEY) -> PingAccepted:
    return ping(request, name, key)


def _accepted(record: HeartbeatRecord) -> PingAccepted:
    return PingAccepted(heartbeat=record.name, state=record.state.value, next_expected_at=record.deadline)


@api_router.get("/heartbeats", response_model=list[HeartbeatOut])
def heartbeats(request: Request) -> list[HeartbeatOut]:
    """Every heartbeat of the config, by name: its state, last ping and next deadline."""
    return [HeartbeatOut.of(view) for view in runtime(request).pager.heartbeats.views()]


_ACT_ERRORS = error_responses(
    {
        400: "The body is not JSON",
        404: "No such heartbeat",
        413: "Body over 1 MiB",
        422: "`by` is not a person of the config",
    }
)


@api_router.post("/heartbeats/{name}/pause", response_model=HeartbeatOut, responses=_ACT_ERRORS)
def pause(request: Request, name: str, body: ActBy | None = None) -> HeartbeatOut:
    """Stop watching the heartbeat: it never pages until resumed. An incident it opened stays open.
    `by`, if given, is recorded."""
    pager = runtime(request).pager
    by = pager.catalog.person(body.by).id if body else "api"
    pager.heartbeats.pause(name, by)
    return _view(request, name)


@api_router.post("/heartbeats/{name}/resume", response_model=HeartbeatOut, responses=_ACT_ERRORS)
def resume(request: Request, name: str, body: ActBy | None = None) -> HeartbeatOut:
    """Watch the heartbeat again, its clock starting now."""
    pager = runtime(request).pager
    if body:
        pager.catalog.person(body.by)
    pager.heartbeats.resume(name)
    return _view(request, name)


def _view(request: Request, name: str) -> HeartbeatOut:
    [view] = [v for v in runtime(request).pager.heartbeats.views() if v.check.name == name]
    return HeartbeatOut.of(view)
