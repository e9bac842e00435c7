"""POST /slack/events: Slack's events, button clicks and /pager, verified, then handed to the Bolt app."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from hashlib import sha256

from fastapi import APIRouter, Request, Response
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.errors import ApiError
from bot.schemas import FieldError
from bot.webhooks import read_body

MAX_AGE_S = 5 * 60

router = APIRouter(tags=["slack"])


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


def _unauthorized(field: str, reason: str) -> ApiError:
    return ApiError(401, "Slack request signature rejected", [FieldError(field=field, reason=reason)])


@router.post("/slack/events", summary="Slack events, interactivity and the /pager command")
async def slack_events(request: Request) -> Response:
    slack = request.app.state.runtime.slack
    if slack is None or slack.bolt_app is None:
        raise ApiError(
            503, "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it"
        )
    body = await read_body(request)
    headers = request.headers
    slack.signature.check(
        headers.get("x-slack-request-timestamp", ""), headers.get("x-slack-signature", ""), body
    )
    # Bolt's listeners are blocking (database, Slack Web API): run them off the event loop.
    answer = await run_in_threadpool(slack.bolt_app.dispatch, to_bolt_request(request, body))
    return to_starlette_response(answer)
