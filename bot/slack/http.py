"""POST /slack/events: Slack's events, button clicks and /pager, verified, then handed to the Bolt app."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from hashlib import sha256

import structlog
from fastapi import APIRouter, Request, Response
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.errors import ApiError
from bot.schemas import ErrorOut, FieldError
from bot.webhooks import read_body

MAX_AGE_S = 5 * 60

router = APIRouter(tags=["slack"])
_log = structlog.get_logger("pager.slack")


class SlackSignature:
    """Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret.

    A request older than five minutes, or one whose signature was already seen, is a replay.
    """

    def __init__(self, signing_secret: str, now: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self._now = now
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, timestamp: str, signature: str, body: bytes) -> None:
        """Raises ApiError 401 naming the header at fault."""
        if not timestamp.isdigit():
            raise _unauthorized("X-Slack-Request-Timestamp", "missing or not a number")
        if abs(self._now() - int(timestamp)) > MAX_AGE_S:
            raise _unauthorized("X-Slack-Request-Timestamp", "older than 5 minutes (a replay?)")
        digest = hmac.new(self._secret, f"v0:{timestamp}:".encode() + body, sha256).hexdigest()
        if not hmac.compare_digest(f"v0={digest}".encode(), signature.encode()):
            raise _unauthorized("X-Slack-Signature", "does not match the body and signing secret")
        self._remember(signature)

    def _remember(self, signature: str) -> None:
        now = self._now()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - MAX_AGE_S:
                self._seen.popitem(last=False)
            if signature in self._seen:
                raise _unauthorized("X-Slack-Signature", "this request was already received (a replay)")
            self._seen[signature] = now


def _dispatch(bolt_app: App, request: Request, body: bytes) -> BoltResponse:
    """Bolt's answer to a verified request. Bolt reads a body as it comes: one that is not UTF-8, not
    JSON, or JSON of another shape than Slack's raises inside its routing, and is refused with 400."""
    try:
        bolt_request = to_bolt_request(request, body)
        if not isinstance(bolt_request.body, dict):
            raise ValueError("the payload is not a JSON object")
        return bolt_app.dispatch(bolt_request)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        _log.warning("slack request unreadable", path=request.url.path, error=type(exc).__name__)
        raise _unreadable(f"{type(exc).__name__}: {exc}") from None


def _unreadable(reason: str) -> ApiError:
    return ApiError(400, "not a request Slack would send", [FieldError(field="(body)", reason=reason)])


def _unauthorized(field: str, reason: str) -> ApiError:
    return ApiError(401, "Slack request signature rejected", [FieldError(field=field, reason=reason)])


def _header(name: str, description: str) -> dict[str, object]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


_FORM = {
    "type": "object",
    "description": "A button click (`payload`, a JSON string) or the /pager command (`command`, `text`...).",
    "properties": {
        "command": {"type": "string", "enum": ["/pager"], "description": "The only slash command handled."},
        **{name: {"type": "string"} for name in ("payload", "text", "user_id", "team_id", "response_url")},
    },
    "additionalProperties": True,
}
_OPENAPI = {
    "parameters": [
        _header("X-Slack-Request-Timestamp", "Unix time of the request; older than 5 minutes is refused."),
        _header(
            "X-Slack-Signature", "`v0=` hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."
        ),
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {"schema": _FORM},
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "An Events API callback or Slack's url_verification challenge.",
                    "properties": {"type": {"type": "string"}, "challenge": {"type": "string"}},
                    "additionalProperties": True,
                }
            },
        },
    },
}


@router.post(
    "/slack/events",
    summary="Slack events, interactivity and the /pager command",
    response_class=Response,
    responses={
        200: {"description": "Bolt's answer: empty, a message, or the url_verification challenge"},
        400: {"model": ErrorOut, "description": "Signed, but neither Slack's JSON nor its form fields"},
        401: {"model": ErrorOut, "description": "Timestamp too old, signature wrong, or a replay"},
        404: {
            "description": "No listener handles this kind of request (Bolt's `unhandled request`), or Slack "
            "is in Socket Mode (SLACK_APP_TOKEN is set): then everything arrives over the socket"
        },
        413: {"model": ErrorOut, "description": "Body over 1 MiB"},
        503: {"model": ErrorOut, "description": "Slack is not configured"},
    },
    openapi_extra=_OPENAPI,
)
async def slack_events(request: Request) -> Response:
    slack = request.app.state.runtime.slack
    if slack is not None and slack.socket is not None:
        raise ApiError(
            404, "Slack is in Socket Mode here (SLACK_APP_TOKEN is set): nothing is taken over HTTP"
        )
    if slack is None or slack.bolt_app is None:
        raise ApiError(
            503,
            "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it "
            "(or SLACK_APP_TOKEN instead of the secret, for Socket Mode)",
        )
    body = await read_body(request)
    headers = request.headers
    slack.signature.check(
        headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", ""), body
    )
    # Bolt's listeners are blocking (database, Slack Web API): run them off the event loop.
    answer = await run_in_threadpool(_dispatch, slack.bolt_app, request, body)
    return to_starlette_response(answer)
