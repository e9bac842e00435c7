"""The incidents API: look at services and incidents, acknowledge and resolve."""

from __future__ import annotations

import hmac
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from bot.bootstrap import Runtime
from bot.errors import ApiError
from bot.schemas import ActBy, ErrorOut, IncidentList, IncidentOut, ServiceOut, error_responses
from bot.webhooks import MAX_BODY
from domain.model import IncidentId, IncidentState
from domain.queries import OPEN_STATES

_STATES: dict[str, tuple[IncidentState, ...]] = {
    "open": OPEN_STATES,
    "triggered": (IncidentState.TRIGGERED,),
    "acknowledged": (IncidentState.ACKNOWLEDGED,),
    "resolved": (IncidentState.RESOLVED,),
    "all": tuple(IncidentState),
}
MAX_PAGE = 500


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def require_token(request: Request) -> None:
    """Bearer $PAGER_API_TOKEN, compared in constant time; the API is off while no token is set."""
    expected = runtime(request).settings.api_token
    if not expected:
        raise ApiError(503, "the API is disabled: set PAGER_API_TOKEN to enable it")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(
            401, "missing or wrong API token", headers={"WWW-Authenticate": 'Bearer realm="pager"'}
        )


_ACT_ERRORS = error_responses(
    {
        400: "The body is not JSON",
        404: "No such incident",
        409: "The incident is resolved",
        413: "Body over 1 MiB",
        422: "`by` is missing or not a person of the config",
    }
)


async def limit_body(request: Request) -> None:
    """The webhooks' 1 MiB limit, answered the same way (FastAPI has read the body by now)."""
    if len(await request.body()) > MAX_BODY:
        raise ApiError(413, f"body is larger than {MAX_BODY} bytes")


router = APIRouter(
    prefix="/api",
    tags=["api"],
    dependencies=[Depends(require_token), Depends(limit_body)],
    responses={401: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)


@router.get("/services", response_model=list[ServiceOut])
def services(request: Request) -> list[ServiceOut]:
    return [ServiceOut.of(view) for view in runtime(request).queries.services()]


@router.get(
    "/incidents",
    response_model=IncidentList,
    responses=error_responses({422: "`status`, `limit` or `before` out of range; `errors` names it"}),
)
def incidents(
    request: Request,
    status: Literal["open", "triggered", "acknowledged", "resolved", "all"] = "open",
    limit: int = Query(100, ge=1, le=MAX_PAGE, description=f"Incidents per page, at most {MAX_PAGE}."),
    before: int | None = Query(
        None, ge=1, description="Only incidents of a smaller id: the cursor `next` carries, to page on."
    ),
) -> IncidentList:
    """Incidents newest first, a page at a time: follow `next` until it is null."""
    cursor = None if before is None else IncidentId(before)
    page = runtime(request).queries.incident_page(_STATES[status], limit, cursor)
    following = None
    if page.next_before is not None:
        query = urlencode({"status": status, "limit": limit, "before": page.next_before})
        following = f"{request.url.path}?{query}"
    return IncidentList(incidents=[IncidentOut.of(v) for v in page.views], next=following)


@router.get("/incidents/{incident_id}", response_model=IncidentOut, responses={404: {"model": ErrorOut}})
def incident(request: Request, incident_id: int) -> IncidentOut:
    return IncidentOut.of(runtime(request).queries.incident(IncidentId(incident_id)), with_timeline=True)


@router.post(
    "/incidents/{incident_id}/acknowledge",
    response_model=IncidentOut,
    responses=_ACT_ERRORS,
)
def acknowledge(request: Request, incident_id: int, body: ActBy) -> IncidentOut:
    rt = runtime(request)
    rt.pager.acknowledge(IncidentId(incident_id), body.by)
    return IncidentOut.of(rt.queries.incident(IncidentId(incident_id)))


@router.post(
    "/incidents/{incident_id}/resolve",
    response_model=IncidentOut,
    responses=_ACT_ERRORS,
)
def resolve(request: Request, incident_id: int, body: ActBy) -> IncidentOut:
    rt = runtime(request)
    rt.pager.resolve(IncidentId(incident_id), body.by)
    return IncidentOut.of(rt.queries.incident(IncidentId(incident_id)))
