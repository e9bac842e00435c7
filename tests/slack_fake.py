"""A fake Slack: a real local HTTP server for the Web API and response URLs; Slack-style request signing.

It refuses what Slack refuses (see tests/slack_limits.py for the message and view rules): a wrong or
missing bot token, a message over Slack's limits, chat.postMessage faster than Slack's pace, a
response_url used too often or too late.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.slack_limits import BLOCKS_TEXT, blocks_text_length, message_error, view_error

BOT_TOKEN = "xoxb-test-token"
# https://docs.slack.dev/apis/web-api/rate-limits: "Posting messages: 1 per second [per channel].
# Short bursts >1 allowed." Slack does not say how long a burst may be: 4 here.
POSTS_PER_SECOND = 1.0
POST_BURST = 4
# https://docs.slack.dev/interactivity/handling-user-interaction#message_responses: a response_url
# takes "up to 5 times within 30 minutes" of the interaction.
RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME_S = 30 * 60
_MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"})
_POSTED = frozenset({"chat.postMessage", "chat.update"})

Answer = tuple[int, dict[str, str], dict[str, Any], float]


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """A call Slack's rules refused (not an injected fault): the method, Slack's error, the params."""

    method: str
    error: str
    params: dict[str, Any]


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str
    delay: float = 0.0
    after: int = 0  # calls let through before this one fails


@dataclass
class FakeSlackState:
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    outages: dict[str, _Failure] = field(default_factory=dict)
    next_ts: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeSlack:
    """Records every Web API call (`/api/<method>`) and response_url post (`/respond/<id>`).

    `fail_next(method, 429, retry_after=1)` or `fail_next(method, 500)` makes the next call of that
    method fail so (`after=2`: the third); calls that failed are recorded under `failed` (and when,
    under `failed_at`).
    `start_outage(method, ...)` makes every call of it fail so (after `delay` seconds: a hang) until
    `end_outage(method)`. Calls Slack's own rules refuse are recorded under `refused`.
    `posts_per_second` and `post_burst` set chat.postMessage's pace per channel; `clock` is what
    that pace and the response_url lifetime are measured with.
    """

    def __init__(
        self,
        token: str = BOT_TOKEN,
        *,
        posts_per_second: float = POSTS_PER_SECOND,
        post_burst: int = POST_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.posts_per_second = posts_per_second
        self.post_burst = post_burst
        self.clock = clock
        self.state = FakeSlackState()
        self.called_at: list[float] = []  # time.monotonic() of each of `state.calls`
        self.failed: list[Call] = []
        self.failed_at: list[float] = []
        self.refused: list[Refusal] = []
        self._buckets: dict[str, tuple[float, float]] = {}  # channel id: (tokens, when counted)
        self._issued: dict[str, float] = {}  # response_url path: when the interaction happened
        self._uses: dict[str, int] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "r1") -> str:
        """The response_url of an interaction happening now (its 30 minutes start with this call)."""
        with self.state.lock:
            self._issued.setdefault(f"/respond/{name}", self.clock())
        return f"{self.url}/respond/{name}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(
        self, method: str, status: int, retry_after: int | None = None, error: str = "", *, after: int = 0
    ) -> None:
        """The next call of `method` (or the one after `after` more) fails so."""
        error = error or ("ratelimited" if status == 429 else "fatal_error")
        failure = _Failure(status, retry_after, error, after=after)
        self.state.failures.setdefault(method, []).append(failure)

    def start_outage(
        self, method: str, status: int, retry_after: int | None = None, error: str = "", delay: float = 0.0
    ) -> None:
        error = error or ("ratelimited" if status == 429 else "fatal_error")
        failure = _Failure(status, retry_after, error, delay)
        with self.state.lock:
            self.state.outages[method] = failure

    def end_outage(self, method: str) -> None:
        with self.state.lock:
            self.state.outages.pop(method, None)

    def calls(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.state.calls if c.method == method]

    def answer(self, method: str, params: dict[str, Any], token: str | None = None) -> Answer:
        """(status, headers, body, seconds to stall before answering) for one call."""
        with self.state.lock:
            failure = self._injected(method)
            if failure is not None:
                self.failed.append(Call(method, params))
                self.failed_at.append(time.monotonic())
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, headers, {"ok": False, "error": failure.error}, failure.delay
            refusal = self._refusal(method, params, token)
            if refusal is not None:
                status, headers, error = refusal
                self.refused.append(Refusal(method, error, params))
                return status, headers, {"ok": False, "error": error}, 0.0
            self.state.calls.append(Call(method, params))
            self.called_at.append(time.monotonic())
            return 200, {}, self._success(method, params), 0.0

    def _injected(self, method: str) -> _Failure | None:
        pending = self.state.failures.get(method)
        if pending and pending[0].after > 0:
            pending[0].after -= 1
            return self.state.outages.get(method)
        return pending.pop(0) if pending else self.state.outages.get(method)

    def _refusal(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], str] | None:
        if method == "response_url":
            return self._response_url_refusal(params)
        # chat.postMessage "Errors": `not_authed` "No authentication token provided.", `invalid_auth`
        # "Some aspect of authentication cannot be validated". Slack answers errors with HTTP 200.
        if not token:
            return 200, {}, "not_authed"
        if token != self.token:
            return 200, {}, "invalid_auth"
        error = _content_error(method, params)
        if error is not None:
            return 200, {}, error
        if method == "chat.postMessage":
            wait = self._take_post_turn(_channel_id(str(params.get("channel", ""))))
            if wait is not None:  # rate-limits page: HTTP 429 with a Retry-After header, in seconds
                return 429, {"Retry-After": str(wait)}, "ratelimited"
        return None

    def _response_url_refusal(self, params: dict[str, Any]) -> tuple[int, dict[str, str], str] | None:
        url = str(params.get("_url"))
        issued = self._issued.setdefault(url, self.clock())
        if self.clock() - issued > RESPONSE_URL_LIFETIME_S:
            return 404, {}, "expired_url"
        if self._uses.get(url, 0) >= RESPONSE_URL_USES:
            return 404, {}, "used_url"
        error = message_error({k: v for k, v in params.items() if k != "_url"})
        if error is not None:
            return 400, {}, error
        self._uses[url] = self._uses.get(url, 0) + 1
        return None

    def _take_post_turn(self, channel: str) -> int | None:
        """A token bucket per channel: None when the post may go now, else whole seconds to wait."""
        now = self.clock()
        tokens, counted = self._buckets.get(channel, (float(self.post_burst), now))
        tokens = min(float(self.post_burst), tokens + (now - counted) * self.posts_per_second)
        if tokens >= 1.0:
            self._buckets[channel] = (tokens - 1.0, now)
            return None
        self._buckets[channel] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.posts_per_second))

    def _success(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            ts = f"1700000000.{self.state.next_ts:06d}"
            self.state.next_ts += 1
            # Slack answers with the channel id even when addressed by #name.
            return {"ok": True, "channel": _channel_id(str(params.get("channel", ""))), "ts": ts}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", ""))}}
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1"}
        return {"ok": True}


def _channel_id(channel: str) -> str:
    return "C" + channel.lstrip("#").upper().replace("-", "") if channel.startswith("#") else channel


def _content_error(method: str, params: dict[str, Any]) -> str | None:
    if method in _MESSAGE_METHODS:
        error = message_error(params)
        if error is None and method in _POSTED and blocks_text_length(params.get("blocks")) > BLOCKS_TEXT:
            return "msg_blocks_too_long"
        return error
    if method == "views.publish":
        return view_error(params.get("view"))
    return None


def _decoded(params: dict[str, Any]) -> dict[str, Any]:
    """Form-encoded calls carry `blocks` and `view` as JSON strings; the rules read them decoded."""
    for name in ("blocks", "view"):
        if isinstance(params.get(name), str):
            with contextlib.suppress(ValueError):  # left a string: invalid_blocks_format
                params[name] = json.loads(params[name])
    return params


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                params: dict[str, Any] = json.loads(raw or "{}")
            else:
                params = _decoded(dict(parse_qsl(raw)))
            path = self.path.split("?")[0]
            method = path.removeprefix("/api/") if path.startswith("/api/") else "response_url"
            if method == "response_url":
                params["_url"] = path
            bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            token = bearer or params.pop("token", None)
            status, headers, body, delay = fake.answer(method, params, token)
            if delay:
                time.sleep(delay)  # a stalled Slack, for the client's timeout
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a stalled answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def running_fake_slack(**options: Any) -> Iterator[FakeSlack]:
    fake = FakeSlack(**options).start()
    try:
        yield fake
    finally:
        fake.stop()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds to a request: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
