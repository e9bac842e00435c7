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
    attempts: int = 0
    script: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(self, *answers: Answer) -> None:
        """The next posts get these answers, in order; after them every post succeeds with 201."""
        with self.lock:
            self.script.extend(answers)

    def bodies(self) -> list[str]:
        return [m["Body"] for m in self.messages]

    def _handle(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, object], float]:
        with self.lock:
            self.attempts += 1
            answer = self.script.pop(0) if self.script else Answer(201)
            if answer.status == 201 and path.endswith("/Messages.json"):
                self.messages.append(form)
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
                time.sleep(delay)  # a stalled provider, for the sender's timeout
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
