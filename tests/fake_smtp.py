"""A real in-process SMTP server (aiosmtpd) that keeps every mail and can refuse recipients, fail or stall."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class FakeSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    mails: list[Message] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each of `mails`
    refuse_next: list[str] = field(default_factory=list)
    # While set, every recipient gets this answer (`451 4.3.0 try later`, say): an outage.
    outage: str | None = None
    # While set, every mail stalls this many seconds at DATA and is then refused, not kept: a hang.
    stall: float = 0.0
    attempts: int = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        self.attempts += 1
        if self.refuse_next:
            return self.refuse_next.pop(0)
        if self.outage:
            return self.outage
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall:
            await asyncio.sleep(self.stall)
            return "451 4.3.0 timed out"
        self.mails.append(message_from_bytes(envelope.content))
        self.accepted_at.append(time.monotonic())
        return "250 Message accepted"


def free_port() -> int:
    # aiosmtpd's Controller cannot take port 0: it probes the port itself before serving.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _checking(username: str, password: str) -> Any:
    """An aiosmtpd authenticator that takes exactly this login (over plain text: a local test server)."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
        return AuthResult(success=given == (username, password))

    return authenticate


@contextmanager
def running_fake_smtp(login: tuple[str, str] | None = None) -> Iterator[FakeSmtp]:
    """The fake on a free port; with `login`, it offers AUTH and takes only that username and password."""
    fake = FakeSmtp(port=free_port())
    auth: dict[str, Any] = (
        # AUTH is offered, not required: aiosmtpd warns about requiring it without TLS.
        {"authenticator": _checking(*login), "auth_require_tls": False} if login else {}
    )
    controller = Controller(fake, hostname=fake.host, port=fake.port, **auth)
    controller.start()
    try:
        yield fake
    finally:
        controller.stop()
