"""A real in-process SMTP server (aiosmtpd), as strict as a submission server, keeping each mail it accepts.

It can complete STARTTLS with a throwaway CA's certificate, take a login only over TLS, refuse a mail a real
server would refuse (see `message_problem`), and be told to refuse recipients, fail (an outage) or hang.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.e2e.processes import free_port

# RFC 5322 2.1.1 and RFC 5321 4.5.3.1.6: a line is at most 998 characters, 1000 octets with its CRLF.
LINE_LIMIT = 998
# RFC 5322 3.6 wants Date and From exactly once, Message-ID once (SHOULD), To and Subject at most once;
# a page always has all five, so the fake wants each exactly once.
ONE_OF_EACH = ("From", "To", "Subject", "Date", "Message-ID")
# RFC 5322 2.2: a field name is printable US-ASCII but the colon; a field body is printable US-ASCII
# and white space (space, tab), with CR and LF only as the CRLF of folding.
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass
class FakeSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    mails: list[EmailMessage] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each of `mails`
    # Why each message refused at the end of DATA was refused, in order.
    refused: list[str] = field(default_factory=list)
    refuse_next: list[str] = field(default_factory=list)
    # While set, every recipient gets this answer (`451 4.3.0 try later`, say): an outage.
    outage: str | None = None
    # While set, every mail stalls this many seconds at DATA and is then refused, not kept: a hang.
    stall: float = 0.0
    attempts: int = 0
    # With TLS on: the PEM file of the CA that signed the server's certificate (for SSL_CERT_FILE).
    ca_file: str | None = None

    def client_tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's CA only, checking the certificate and host name."""
        assert self.ca_file, "the fake runs without TLS"
        return ssl.create_default_context(cafile=self.ca_file)

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
        raw: bytes = envelope.original_content
        problem = message_problem(raw, eight_bit_declared="BODY=8BITMIME" in envelope.mail_options)
        if problem:
            self.refused.append(problem)
            return f"554 5.6.0 {problem}"  # RFC 3463 5.6.x: the content is at fault, retrying cannot help
        # Kept as a mailbox keeps it, with local line ends: the checks above found no bare CR or LF.
        kept = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        self.mails.append(cast(EmailMessage, kept))
        self.accepted_at.append(time.monotonic())
        return "250 Message accepted"


def message_problem(raw: bytes, *, eight_bit_declared: bool = False) -> str | None:
    """Why a real server would refuse this message (as it came out of DATA, CRLF line ends), or None."""
    lines = raw.split(b"\r\n")
    if any(b"\r" in line or b"\n" in line for line in lines):
        return "bare CR or LF in the message (RFC 5321 2.3.8, RFC 5322 2.3)"
    if max(map(len, lines)) > LINE_LIMIT:
        return f"a line longer than {LINE_LIMIT} characters (RFC 5322 2.1.1)"
    if not raw.isascii() and not eight_bit_declared:
        return "8-bit data without BODY=8BITMIME (RFC 6152)"
    header = lines[: lines.index(b"")] if b"" in lines else lines
    return _header_problem(header)


def _header_problem(lines: list[bytes]) -> str | None:
    names: list[str] = []
    for line in lines:
        if not line.isascii():  # the fake offers no SMTPUTF8, so RFC 6532's UTF-8 headers do not apply
            return "8-bit characters in a header field (RFC 5322 2.2; RFC 2047 encodes them)"
        if _CONTROL.search(line):
            return "a control character in a header field (RFC 5322 2.2)"
        if line[:1] in (b" ", b"\t") and names:
            continue  # the continuation of a folded field
        name, colon, _ = line.partition(b":")
        if not colon or not _FIELD_NAME.fullmatch(name):
            return f"a header line that is neither a field nor a folded continuation: {line[:40]!r}"
        names.append(name.decode().lower())
    counts = Counter(names)
    for name in ONE_OF_EACH:
        if counts[name.lower()] != 1:
            return f"{counts[name.lower()]} {name} fields, not exactly one (RFC 5322 3.6)"
    return None


def _checking(username: str, password: str) -> Any:
    """An aiosmtpd authenticator that takes exactly this login; a wrong one gets RFC 4954's 535 5.7.8."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
        # handled=False: aiosmtpd then answers the refusal itself (with True it answers nothing at all).
        return AuthResult(success=given == (username, password), handled=False)

    return authenticate


@contextmanager
def _server_tls(fake: FakeSmtp) -> Iterator[ssl.SSLContext]:
    """A server context with a certificate for the fake's address, from a CA made for this run only."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(fake.host, "localhost").configure_cert(context)
    with ca.cert_pem.tempfile() as ca_file:
        fake.ca_file = ca_file
        yield context


@contextmanager
def running_fake_smtp(login: tuple[str, str] | None = None, *, tls: bool = False) -> Iterator[FakeSmtp]:
    """The fake on a free port.

    With `tls`, it offers STARTTLS and requires it before any mail (RFC 3207 4: "530 Must issue a STARTTLS
    command first"). With `login`, it requires AUTH with that username and password, and offers AUTH only
    over TLS (RFC 4954 4 and 6: "538 5.7.11 Encryption required"), as real submission servers do:
    without `tls` too, no login can succeed.
    """
    fake = FakeSmtp(port=free_port())  # aiosmtpd's Controller cannot take port 0: it probes the port first
    with ExitStack() as stack:
        # No SMTPUTF8 (RFC 6531), as many servers still: non-ASCII text must come encoded.
        options: dict[str, Any] = {"enable_SMTPUTF8": False}
        if tls:
            options |= {"tls_context": stack.enter_context(_server_tls(fake)), "require_starttls": True}
        if login:
            options |= {"authenticator": _checking(*login), "auth_required": True, "auth_require_tls": True}
        controller = Controller(fake, hostname=fake.host, port=fake.port, **options)
        controller.start()
        stack.callback(controller.stop)
        yield fake
