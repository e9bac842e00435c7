"""A fake Slack: a real local HTTP server for the Web API and response URLs; Slack-style request signing."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str
    delay: float = 0.0


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
    method fail so; calls that failed are recorded under `failed` (and when, under `failed_at`).
    `start_outage(method, ...)` makes every call of it fail so (after `delay` seconds: a hang) until
    `end_outage(method)`.
    """

    def __init__(self) -> None:
        self.state = FakeSlackState()
        self.called_at: list[float] = []  # time.monotonic() of each of `state.calls`
        self.failed: list[Call] = []
        self.failed_at: list[float] = []
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
        return f"{self.url}/respond/{name}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, method: str, status: int, retry_after: int | None = None, error: str = "") -> None:
        failure = _Failure(status, retry_after, error or ("ratelimited" if status == 429 else "fatal_error"))
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

    def answer(
        self, method: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, str], dict[str, Any], float]:
        """(status, headers, body, seconds to stall before answering) for one call."""
        with self.state.lock:
            pending = self.state.failures.get(method)
            failure = pending.pop(0) if pending else self.state.outages.get(method)
            if failure is not None:
                self.failed.append(Call(method, params))
                self.failed_at.append(time.monotonic())
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, headers, {"ok": False, "error": failure.error}, failure.delay
            self.state.calls.append(Call(method, params))
            self.called_at.append(time.monotonic())
            return 200, {}, self._success(method, params), 0.0

    def _success(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "chat.postMessage":
            ts = f"1700000000.{self.state.next_ts:06d}"
            self.state.next_ts += 1
            channel = str(params.get("channel", ""))
            # Slack answers with the channel id even when addressed by #name.
            channel_id = (
                "C" + channel.lstrip("#").upper().replace("-", "") if channel.startswith("#") else channel
            )
            return {"ok": True, "channel": channel_id, "ts": ts}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", ""))}}
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1"}
        return {"ok": True}


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                params: dict[str, Any] = json.loads(raw or "{}")
            else:
                params = dict(parse_qsl(raw))
            path = self.path.split("?")[0]
            method = path.removeprefix("/api/") if path.startswith("/api/") else "response_url"
            if method == "response_url":
                params["_url"] = path
            status, headers, body, delay = fake.answer(method, params)
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


def running_fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds to a request: v0 HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
