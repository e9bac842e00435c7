"""A real in-process SMTP server (aiosmtpd) that keeps every mail and can refuse recipients on demand."""

from __future__ import annotations

import socket
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
    refuse_next: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_next:
            return self.refuse_next.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content))
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
