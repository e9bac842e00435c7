"""A fake Twilio REST API: a real HTTP server on 127.0.0.1 that records Messages.json posts and can fail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-auth-token-0123456789"


F = TypeVar("F", bound="FakeTwilio")


@dataclass
class Answer:
    status: int
    code: int | None = None
    delay: float = 0.0


@dataclass
class FakeTwilio:
    url: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each of `messages`
    attempts: int = 0
    script: list[Answer] = field(default_factory=list)
    outage: Answer | None = None
    stalled: int = 0  # requests being held right now by an answer with a delay
    lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)

    def answer_next(self, *answers: Answer) -> None:
        """The next posts get these answers, in order; after them every post succeeds with 201."""
        with self.lock:
            self.script.extend(answers)

    def start_outage(self, answer: Answer) -> None:
        """Every post gets `answer` (once the script is used up) until `end_outage`."""
        with self.lock:
            self.outage = answer

    def end_outage(self) -> None:
        """Back to normal; requests being held are answered (with the outage's error) now."""
        with self.lock:
            self.outage = None
            self._released.set()
            self._released = threading.Event()

    def stall(self, seconds: float) -> None:
        """Hold a request this long: a provider that hangs, for the sender's timeout."""
        with self.lock:
            self.stalled += 1
            released = self._released
        try:
            released.wait(seconds)
        finally:
            with self.lock:
                self.stalled -= 1

    def bodies(self) -> list[str]:
        return [m["Body"] for m in self.messages]

    def _handle(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, object], float]:
        with self.lock:
            self.attempts += 1
            answer = self.script.pop(0) if self.script else (self.outage or Answer(201))
            if answer.status == 201 and path.endswith("/Messages.json"):
                self.messages.append(form)
                self.accepted_at.append(time.monotonic())
        if answer.status == 201:
            sid = f"SM{len(self.messages):032x}"
            return 201, {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")}, 0.0
        body: dict[str, object] = {
            "code": answer.code,
            "message": f"fake error {answer.code}",
            "status": answer.status,
        }
        return answer.status, body, answer.delay


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            status, body, delay = fake._handle(self.path, form)
            if delay:
                fake.stall(delay)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up on a stalled answer, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_fake_twilio() -> Iterator[FakeTwilio]:
    with serving(FakeTwilio()) as fake:
        yield fake


@contextmanager
def serving(fake: F) -> Iterator[F]:
    """`fake` (a FakeTwilio or a subclass) behind a real HTTP server on a free port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
