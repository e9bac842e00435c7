"""Socket Mode: Slack's events, clicks and /pager over a WebSocket the pager opens, into the same Bolt app."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from adapters.worker import Worker

_log = structlog.get_logger("pager.slack.socket")

# The envelopes that carry a request for the Bolt app; the others are `hello` and `disconnect`.
REQUESTS = frozenset({"events_api", "interactive", "slash_commands"})


@dataclass(frozen=True)
class Backoff:
    """How long to wait before connecting again: `first` seconds, doubling up to `most`. A connection that
    held `steady` seconds was not a failure: the next one is tried at once (Slack replaces connections every
    few hours)."""

    first: float = 1.0
    most: float = 60.0
    steady: float = 30.0

    def after(self, delay: float) -> float:
        return min(self.most, max(self.first, delay * 2))


class SlackSocketMode:
    """One Socket Mode connection, kept open by a `Worker` (nothing here runs on the event loop).

    Each envelope is acknowledged as it arrives, before the Bolt app handles it, so Slack has its answer
    within 3 seconds however slow the handling. What a listener puts in its `ack()` (the `/pager status`
    blocks) goes to the request's response_url instead. A dropped connection is opened again with
    `backoff`; the `disconnect` envelope Slack sends before a refresh makes slack_sdk's client switch to a
    new connection at once. Each connection after the first calls `on_reconnect`.
    """

    def __init__(
        self,
        app: App,
        app_token: str,
        web_client: WebClient,
        *,
        on_reconnect: Callable[[], None] = lambda: None,
        ping_interval: float = 10.0,
        backoff: Backoff | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self._app = app
        self._app_token = app_token
        self._web_client = web_client  # apps.connections.open, at SLACK_API_URL
        self._on_reconnect = on_reconnect
        self.ping_interval = ping_interval  # seconds between pings; four unanswered: the connection is dead
        self.backoff = backoff or Backoff()
        self._poll_interval = poll_interval
        self._client: SocketModeClient | None = None
        self._worker = Worker("slack-socket", self._round)
        self._up_since: float | None = None  # time.monotonic() the current connection opened
        self._delay = 0.0  # before the next connection attempt
        self._lock = threading.Lock()
        self._hellos = 0

    @property
    def connected(self) -> bool:
        client = self._client
        return client is not None and client.is_connected()

    def start(self) -> None:
        """Connect in the background; returns at once."""
        # auto_reconnect off: reconnecting (with a backoff) is this class's job; the client still follows
        # Slack's `disconnect` envelopes to a new connection by itself.
        client = SocketModeClient(
            app_token=self._app_token,
            web_client=self._web_client,
            auto_reconnect_enabled=False,
            ping_interval=self.ping_interval,
            on_message_listeners=[self._on_message],
            on_close_listeners=[lambda code, reason: self._on_lost()],
            on_error_listeners=[lambda error: self._on_lost()],
        )
        client.socket_mode_request_listeners.append(self._on_request)  # type: ignore[arg-type]
        self._client = client
        self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the connection. Envelopes acknowledged already are handled first, for at most `timeout`
        seconds in all: Slack will not send them again."""
        deadline = time.monotonic() + timeout
        self._worker.stop(timeout)  # a connection attempt under way ends within the Web API's timeout
        client = self._client
        if client is None:
            return
        closing = threading.Thread(target=self._close, args=(client,), name="slack-socket-close", daemon=True)
        closing.start()
        closing.join(max(deadline - time.monotonic(), 0.0))
        if closing.is_alive():
            _log.warning("slack socket did not close in time", timeout_s=timeout)

    @staticmethod
    def _close(client: SocketModeClient) -> None:
        session = client.current_session
        sock = session.sock if session is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):  # a receive blocked on it returns now, not after 3 s
                sock.shutdown(socket.SHUT_RDWR)
        client.disconnect()  # nothing more comes in
        while not client.message_queue.empty():  # what came in reaches the listeners before close()
            time.sleep(0.01)
        client.close()  # waits for the listeners still running

    def _round(self) -> float:
        """One look at the connection, opening it when it is down; seconds until the next look."""
        if self.connected:
            return self._poll_interval  # the client closes a connection gone silent without telling
        if self._up_since is not None:
            held = time.monotonic() - self._up_since
            self._up_since = None
            self._delay = 0.0 if held >= self.backoff.steady else self.backoff.after(self._delay)
            _log.warning("slack socket dropped", held_s=round(held, 1), reconnect_in_s=self._delay)
            if self._delay:
                return self._delay
        if self._connect():
            self._up_since = time.monotonic()
            return self._poll_interval
        self._delay = self.backoff.after(self._delay)
        return self._delay

    def _on_lost(self) -> None:
        """A connection that was up closed or failed: look now, not at the next poll. A failed attempt to
        connect lands here too, and must wait out its backoff instead."""
        if self._up_since is not None:
            self._worker.wake()

    def _connect(self) -> bool:
        assert self._client is not None
        try:
            self._client.connect_to_new_endpoint()  # apps.connections.open, then the WebSocket handshake
        except SlackApiError as exc:
            # invalid_auth, not_authed, not_allowed_token_type: a wrong SLACK_APP_TOKEN (never logged).
            _log.error("slack socket: apps.connections.open refused", error=exc.response.get("error"))
            return False
        except (SlackClientError, OSError, ValueError) as exc:
            _log.warning("slack socket: cannot connect", error=type(exc).__name__)
            return False
        return self.connected

    def _on_message(self, raw: str) -> None:
        """Every text frame, on the receiving thread, before the client queues it for the listeners."""
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if message.get("envelope_id"):
            self._ack(str(message["envelope_id"]))
        elif message.get("type") == "hello":
            self._on_hello()
        elif message.get("type") == "disconnect":
            _log.info("slack socket: Slack asks for a new connection", reason=message.get("reason"))

    def _ack(self, envelope_id: str) -> None:
        assert self._client is not None
        try:
            self._client.send_socket_mode_response(SocketModeResponse(envelope_id=envelope_id))
        except (SlackClientError, OSError) as exc:  # Slack sends it again on another connection
            _log.warning("slack socket: acknowledgement not sent", error=type(exc).__name__)

    def _on_hello(self) -> None:
        with self._lock:
            self._hellos += 1
            again = self._hellos > 1
        _log.info("slack socket connected", reconnect=again)
        if again:
            self._on_reconnect()

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        """An envelope, acknowledged already, handled by the Bolt app on one of the client's workers."""
        if request.type not in REQUESTS:
            return
        answer = self._app.dispatch(BoltRequest(mode="socket_mode", body=request.payload))
        if answer.status != 200:
            _log.info("slack socket: request not handled", kind=request.type, status=answer.status)
            return
        self._forward(request.payload, answer)

    def _forward(self, payload: dict[str, Any], answer: BoltResponse) -> None:
        """Over HTTP a listener's ack() content is the response; here it follows the envelope's ack."""
        url = payload.get("response_url")
        if not answer.body or not url:
            return
        content_type = (answer.headers.get("content-type") or [""])[0]
        body = (
            json.loads(answer.body) if content_type.startswith("application/json") else {"text": answer.body}
        )
        try:
            sent = WebhookClient(str(url), timeout=10).send_dict(body)
        except (OSError, SlackClientError) as exc:
            _log.warning("slack socket: answer not delivered", error=type(exc).__name__)
            return
        if sent.status_code != 200:
            _log.warning("slack socket: answer refused", status=sent.status_code, body=sent.body[:200])
