"""`GET /api/oncall`: who is on call in each rotation, and the next handoffs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel

from bot.api import require_token, runtime
from bot.errors import ApiError
from bot.schemas import ErrorOut, FieldError
from domain.oncall import OnCall, on_call


class HandoffOut(BaseModel):
    at: datetime
    person: str | None


class OnCallOut(BaseModel):
    rotation: str
    at: datetime
    person: str | None
    next_handoffs: list[HandoffOut]

    @classmethod
    def of(cls, view: OnCall) -> OnCallOut:
        handoffs = [HandoffOut(at=h.at, person=h.person) for h in view.next_handoffs]
        return cls(rotation=view.rotation, at=view.at, person=view.person, next_handoffs=handoffs)


router = APIRouter(
    prefix="/api",
    tags=["api"],
    dependencies=[Depends(require_token)],
    responses={401: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)


@router.get(
    "/oncall", response_model=list[OnCallOut], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}}
)
def oncall(
    request: Request,
    rotation: str | None = None,
    at: Annotated[AwareDatetime | None, Query(description="The instant to look at (default: now).")] = None,
    handoffs: int = Query(3, ge=0, le=50),
) -> list[OnCallOut]:
    rt = runtime(request)
    when = at or (rt.clock.now() if rt.clock else datetime.now(UTC))
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is a valid timestamp with no UTC equivalent
        raise ApiError(
            422, "invalid request", [FieldError(field="at", reason="out of range in UTC")]
        ) from None
    return [OnCallOut.of(v) for v in on_call(rt.config.catalog, when, rotation, handoffs)]
