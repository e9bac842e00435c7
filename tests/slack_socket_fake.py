"""A fake Slack Socket Mode: apps.connections.open on the fake Web API, and a WebSocket server on 127.0.0.1.

The server sends `hello`, then the envelopes a test asks for, shaped as Slack's
(https://docs.slack.dev/apis/events-api/using-socket-mode): `events_api`, `interactive` and
`slash_commands`, each with an `envelope_id` that must come back within 3 seconds. It can drop a
connection (no close frame, as a lost network does) or ask for a refresh with a `disconnect` envelope.
A WebSocket URL holds a one-use ticket, handed out only to the app-level token.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from tests.slack_fake import Answer, FakeSlack, Refusal

APP_TOKEN = "xapp-1-A0PAGER-1-socket-mode-test-token"
APP_ID = "A0PAGER"
# https://docs.slack.dev/apis/events-api/using-socket-mode: "your app must respond with an acknowledgement
# message ... within 3 seconds of receiving it".
ACK_DEADLINE_S = 3.0


@dataclass
class Envelope:
    id: str
    type: str
    payload: dict[str, Any]
    connection: int  # which of `FakeSocketMode.connections` carried it
    sent_at: float
    acked_at: float | None = None
    acks: int = 0

    @property
    def acked_in_time(self) -> bool:
        return self.acked_at is not None and self.acked_at - self.sent_at <= ACK_DEADLINE_S


class FakeSocketMode:
    """The WebSocket side. `connections` lists every connection ever opened, `live` those still open."""

    def __init__(self) -> None:
        self.connections: list[ServerConnection] = []
        self.envelopes: dict[str, Envelope] = {}
        self.stray_acks: list[dict[str, Any]] = []  # an ack of no envelope sent, or a second one
        self.refused_handshakes = 0
        self._tickets: set[str] = set()
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._server = serve(self._serve, "127.0.0.1", 0, process_request=self._check_ticket)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def open_url(self) -> str:
        """A new WebSocket URL, as apps.connections.open hands out: its ticket works once."""
        ticket = f"ticket-{next(self._ids)}"
        with self._changed:
            self._tickets.add(ticket)
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={ticket}&app_id={APP_ID}"

    @property
    def live(self) -> list[int]:
        with self._changed:
            return [i for i, c in enumerate(self.connections) if c.state.name == "OPEN"]

    def wait_for_connections(self, opened: int, timeout: float = 10.0) -> None:
        """Until `opened` connections were opened in all (and the last one is open)."""
        self._wait(
            lambda: len(self.connections) >= opened and (len(self.connections) - 1) in self.live, timeout
        )

    def send(self, kind: str, payload: dict[str, Any], on: int | None = None) -> Envelope:
        """An envelope of `kind` on connection `on` (the newest open one by default)."""
        index = self.live[-1] if on is None else on
        envelope = Envelope(f"env-{next(self._ids)}", kind, payload, index, time.monotonic())
        message = {
            "envelope_id": envelope.id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
        }
        if kind == "events_api":
            message.update(retry_attempt=0, retry_reason="")
        with self._changed:
            self.envelopes[envelope.id] = envelope
        self.connections[index].send(json.dumps(message))
        return envelope

    def wait_acked(self, envelope: Envelope, timeout: float = 10.0) -> Envelope:
        self._wait(lambda: envelope.acked_at is not None, timeout)
        return envelope

    def late(self) -> list[Envelope]:
        """The envelopes not acknowledged within Slack's 3 seconds (or not at all)."""
        with self._changed:
            return [e for e in self.envelopes.values() if not e.acked_in_time]

    def drop(self, on: int | None = None) -> None:
        """Cut connection `on` (the newest open one) with no close frame, as a lost network does."""
        connection = self.connections[self.live[-1] if on is None else on]
        with contextlib.suppress(OSError):
            connection.socket.shutdown(socket.SHUT_RDWR)
        connection.socket.close()

    def disconnect(self, reason: str = "refresh_requested", on: int | None = None) -> None:
        """Slack's notice that connection `on` will close: the app should open a new one now."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        self.connections[self.live[-1] if on is None else on].send(json.dumps(message))

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = (parse_qs(urlsplit(request.path).query).get("ticket") or [""])[0]
        with self._changed:
            if ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
            self.refused_handshakes += 1
        return connection.respond(HTTPStatus.UNAUTHORIZED, "unknown or used ticket\n")

    def _serve(self, connection: ServerConnection) -> None:
        with self._changed:
            self.connections.append(connection)
            count = len(self.live)
            self._changed.notify_all()
        connection.send(json.dumps(_hello(count)))
        try:
            for raw in connection:
                self._on_ack(json.loads(raw))
        except (ConnectionClosed, OSError):
            pass
        finally:
            with self._changed:
                self._changed.notify_all()

    def _on_ack(self, message: dict[str, Any]) -> None:
        with self._changed:
            envelope = self.envelopes.get(str(message.get("envelope_id")))
            if envelope is None or envelope.acked_at is not None:
                self.stray_acks.append(message)
            else:
                envelope.acked_at = time.monotonic()
            if envelope is not None:
                envelope.acks += 1
            self._changed.notify_all()

    def _wait(self, condition: Any, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError("timed out waiting on the fake Socket Mode server")


def _hello(num_connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    }


class FakeSlackWithSocketMode(FakeSlack):
    """The fake Web API of tests/slack_fake.py, which also answers apps.connections.open: with a URL of
    `sockets` for the app-level token, as Slack does, and with Slack's errors for anything else."""

    def __init__(self, sockets: FakeSocketMode, app_token: str = APP_TOKEN, **options: Any) -> None:
        super().__init__(**options)
        self.sockets = sockets
        self.app_token = app_token
        self.urls_opened = 0

    def answer(self, method: str, params: dict[str, Any], token: str | None = None) -> Answer:
        if method != "apps.connections.open":
            return super().answer(method, params, token)
        # apps.connections.open "Errors": not_authed, invalid_auth, not_allowed_token_type (a bot token).
        error = None
        if not token:
            error = "not_authed"
        elif token.startswith("xoxb-") or token.startswith("xoxp-"):
            error = "not_allowed_token_type"
        elif token != self.app_token:
            error = "invalid_auth"
        with self.state.lock:
            if error is not None:
                self.refused.append(Refusal(method, error, params))
                return 200, {}, {"ok": False, "error": error}, 0.0
            self.urls_opened += 1
        return 200, {}, {"ok": True, "url": self.sockets.open_url()}, 0.0


@contextlib.contextmanager
def running_socket_slack(**options: Any) -> Iterator[FakeSlackWithSocketMode]:
    """The fake Web API (`.api_url`) with its Socket Mode server (`.sockets`), both running."""
    sockets = FakeSocketMode().start()
    slack = FakeSlackWithSocketMode(sockets, **options)
    slack.start()
    try:
        yield slack
    finally:
        slack.stop()
        sockets.stop()


def block_actions(action: str, value: str, user: str, channel: str, response_url: str) -> dict[str, Any]:
    """An `interactive` envelope's payload: a button of a message clicked."""
    return {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "example"},
        "api_app_id": APP_ID,
        "user": {"id": user, "team_id": "T1"},
        "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel, "message_ts": "1700000000.000001"},
        "response_url": response_url,
        "trigger_id": f"trigger-{value}-{time.monotonic_ns()}",
        "actions": [{"type": "button", "action_id": action, "value": value, "block_id": "b"}],
    }


def slash_command(text: str, user: str, channel: str, response_url: str) -> dict[str, Any]:
    """A `slash_commands` envelope's payload: the form fields Slack posts over HTTP, as JSON."""
    return {
        "token": "deprecated-verification-token",
        "team_id": "T1",
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "payments-oncall",
        "user_id": user,
        "user_name": "someone",
        "command": "/pager",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"trigger-{time.monotonic_ns()}",
    }


def event_callback(event: dict[str, Any]) -> dict[str, Any]:
    """An `events_api` envelope's payload: the Events API callback Slack would post over HTTP."""
    return {
        "token": "deprecated-verification-token",
        "team_id": "T1",
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": "T1", "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
    }
