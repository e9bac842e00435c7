"""`GET /readyz`: can this replica serve? Database reachable, schema current, a scheduler leader known."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine, text

from adapters.db.leadership import Leadership
from adapters.db.migrate import head_revision, is_current
from bot.bootstrap import Runtime

router = APIRouter(tags=["health"])
_log = structlog.get_logger("pager.readiness")

Check = Callable[[], str | None]  # None when all is well, else what is wrong


class ReadinessOut(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]  # check name → "ok" or what is wrong
    leading: bool  # does this replica run the escalation timer?
    # Socket Mode only (absent otherwise): this replica's connection to Slack. Reported, never a reason to be
    # unready: pages still go out over the Web API and alerts still come in over HTTP; the socket reconnects.
    slack_socket: Literal["connected", "disconnected"] | None = None


@router.get("/readyz", response_model=ReadinessOut, responses={503: {"model": ReadinessOut}})
def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when every check is "ok", else 503 with what failed."""
    runtime: Runtime = request.app.state.runtime
    leadership = runtime.leadership
    checks = {
        "database": _run("database", lambda: _database(runtime.engine)),
        "migrations": _run("migrations", lambda: _migrations(runtime.engine)),
        "leader": _run("leader", lambda: _leader(leadership)),
    }
    ready = all(result == "ok" for result in checks.values())
    body = ReadinessOut(
        status="ready" if ready else "not ready",
        checks=checks,
        leading=leadership is not None and leadership.is_leader,
        slack_socket=_slack_socket(runtime),
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=200 if ready else 503)


def _slack_socket(runtime: Runtime) -> Literal["connected", "disconnected"] | None:
    socket = runtime.slack.socket if runtime.slack is not None else None
    if socket is None:
        return None
    return "connected" if socket.connected else "disconnected"


def _database(engine: Engine) -> str | None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return None


def _migrations(engine: Engine) -> str | None:
    if is_current(engine):
        return None
    return f"the database is not at revision {head_revision()}: run `pager db upgrade`"


def _leader(leadership: Leadership | None) -> str | None:
    if leadership is None or not (leadership.is_leader or leadership.leader_known()):
        return "no replica runs the escalation timer yet"
    return None


def _run(name: str, check: Check) -> str:
    try:
        problem = check()
    except Exception as exc:  # the error's text may name hosts or users: it stays in the log
        _log.warning("readiness check failed", check=name, error=repr(exc))
        return f"failed ({type(exc).__name__})"
    return problem or "ok"
