"""Every error answer of the HTTP app, mapped in one place: status code, message, offending fields."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from bot.intake import IntakeStopped
from bot.schemas import ErrorOut, FieldError
from domain.errors import Conflict, NotFound, PagerError, UnknownPerson

_log = structlog.get_logger("pager.http")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, list(errors), headers


def field_errors(exc: ValidationError | RequestValidationError) -> list[FieldError]:
    """Pydantic's errors as (field path, reason), the location's 'body' prefix dropped."""
    found = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        if error.get("type") == "json_invalid":  # its location is an offset into the body, not a field
            loc = []
        found.append(FieldError(field=".".join(loc) or "(body)", reason=str(error.get("msg", "invalid"))))
    return found


def _answer(
    status: int, message: str, errors: Sequence[FieldError] = (), headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorOut(error=message, errors=list(errors)).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _answer(exc.status, exc.message, exc.errors, exc.headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        """Starlette's own refusals (unknown path, wrong method, an unreadable body) in our shape."""
        return _answer(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _answer(422, "invalid request", field_errors(exc))

    @app.exception_handler(PagerError)
    async def domain_error(request: Request, exc: PagerError) -> JSONResponse:
        if isinstance(exc, UnknownPerson):
            return _answer(422, str(exc), [FieldError(field="by", reason=str(exc))])
        if isinstance(exc, NotFound):
            return _answer(404, str(exc))
        if isinstance(exc, Conflict):
            return _answer(409, str(exc))
        return _answer(400, str(exc))

    @app.exception_handler(IntakeStopped)
    async def shutting_down(request: Request, exc: IntakeStopped) -> JSONResponse:
        return _answer(503, str(exc), headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        _log.error("unhandled error", path=request.url.path, error=type(exc).__name__)
        return _answer(500, "internal error; the request may not have been applied")
