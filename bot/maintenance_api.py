"""The maintenance API: open a window, list windows and what they keep, end one early."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainValidator

from bot.api import limit_body, require_token, runtime
from bot.durations import parse_duration
from bot.errors import ApiError
from bot.schemas import ErrorOut, FieldError, error_responses
from domain.errors import UnknownService
from domain.maintenance import InvalidWindow, MaintenanceWindow, SuppressedAlert, WindowId
from domain.maintenance_service import MaintenanceView, WindowPlan


def _duration(value: object) -> timedelta:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration like 30m, 2h or 1h30m")
    return parse_duration(value)


class WindowIn(BaseModel):
    """A window to open: `to` or `duration`, one of them; `from` defaults to now."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    services: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=100)
    starts_at: AwareDatetime | None = Field(None, alias="from", description="Default: now.")
    ends_at: AwareDatetime | None = Field(None, alias="to")
    duration: Annotated[timedelta, PlainValidator(_duration)] | None = Field(
        None, description="Instead of `to`: 30m, 2h, 1h30m ...", json_schema_extra={"type": "string"}
    )
    reason: str = Field("", max_length=1000)
    by: str = Field(min_length=1, max_length=100, description="The id of a person in the config.")

    def plan(self) -> WindowPlan:
        return WindowPlan(
            tuple(self.services), self.reason, _utc(self.starts_at), _utc(self.ends_at), self.duration
        )


class WindowOut(BaseModel):
    id: int
    services: list[str]
    starts_at: datetime = Field(serialization_alias="from")
    ends_at: datetime = Field(serialization_alias="to")
    reason: str
    created_by: str = Field(description='A person of the config, or "config" for the config\'s windows.')

    @classmethod
    def of(cls, window: MaintenanceWindow) -> WindowOut:
        return cls(
            id=window.id,
            services=list(window.services),
            starts_at=window.starts_at,
            ends_at=window.ends_at,
            reason=window.reason,
            created_by=window.created_by,
        )


class SuppressedOut(BaseModel):
    service_id: str
    dedup_key: str | None
    summary: str
    count: int
    first_at: datetime
    last_at: datetime

    @classmethod
    def of(cls, alert: SuppressedAlert) -> SuppressedOut:
        return cls(
            service_id=alert.service_id,
            dedup_key=alert.dedup_key,
            summary=alert.summary,
            count=alert.count,
            first_at=alert.first_at,
            last_at=alert.last_at,
        )


class MaintenanceOut(BaseModel):
    windows: list[WindowOut] = Field(description="Under way or to come, soonest first.")
    in_maintenance: list[str] = Field(description="The services some window covers now.")
    suppressed: list[SuppressedOut] = Field(description="Alerts still firing, kept until their window ends.")

    @classmethod
    def of(cls, view: MaintenanceView) -> MaintenanceOut:
        return cls(
            windows=[WindowOut.of(w) for w in view.windows],
            in_maintenance=sorted(view.quiet),
            suppressed=[SuppressedOut.of(a) for a in view.suppressed],
        )


router = APIRouter(
    prefix="/api",
    tags=["maintenance"],
    dependencies=[Depends(require_token), Depends(limit_body)],
    responses={401: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)


@router.post(
    "/maintenance",
    status_code=201,
    response_model=WindowOut,
    response_model_by_alias=True,
    responses=error_responses(
        {
            400: "The body is not JSON",
            413: "Body over 1 MiB",
            422: "An unknown service or person (`by`), no end, both `to` and `duration`, or an end not "
            "after the start; `errors` names the field",
        }
    ),
)
def start(request: Request, body: WindowIn) -> WindowOut:
    """Silence services: their alerts are kept, not paged, and those still firing page when it ends."""
    try:
        window = runtime(request).pager.maintenance.start(body.plan(), body.by)
    except UnknownService as exc:
        raise ApiError(422, str(exc), [FieldError(field="services", reason=str(exc))]) from None
    except InvalidWindow as exc:
        raise ApiError(422, str(exc), [FieldError(field="to", reason=str(exc))]) from None
    return WindowOut.of(window)


@router.get("/maintenance", response_model=MaintenanceOut, response_model_by_alias=True)
def listing(request: Request) -> MaintenanceOut:
    """Windows under way or to come, the services quiet now, and the alerts kept for later."""
    return MaintenanceOut.of(runtime(request).pager.maintenance.view())


@router.delete(
    "/maintenance/{window_id}",
    response_model=WindowOut,
    response_model_by_alias=True,
    responses=error_responses({404: "No such window"}),
)
def end(request: Request, window_id: int) -> WindowOut:
    """End the window now; the alerts it kept that still fire page at once. One already over is
    answered as it is."""
    return WindowOut.of(runtime(request).pager.maintenance.end(WindowId(window_id)))


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)
