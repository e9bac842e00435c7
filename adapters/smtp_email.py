"""The email notifier over SMTP (standard library smtplib): one mail per page, with the timeline so far."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from adapters.clock import SystemClock
from adapters.retrying import with_retries
from domain.delivery_ports import Page, PageItem
from domain.errors import SendFailed
from domain.events import Event
from domain.model import IncidentId
from domain.ports import Clock

TimelineLookup = Callable[[IncidentId], Sequence[Event]]

# Well under RFC 5322's 998-character line, and about what a mail client shows of a subject.
SUBJECT_LIMIT = 200
# C0 controls, DEL and C1 controls: EmailMessage refuses some in a header and sends others raw.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A body outside US-ASCII goes quoted-printable or base64, so no server needs 8BITMIME (RFC 6152).
_SEVEN_BIT = policy.default.clone(cte_type="7bit")


def one_line(text: str) -> str:
    """`text` with control characters and each run of white space (newlines, tabs...) made one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def email_subject(page: Page) -> str:
    """One line of at most SUBJECT_LIMIT characters, whatever the summaries hold."""
    if len(page.items) == 1:
        item = page.items[0]
        text = f"[PAGER] #{item.incident_id} {item.service_id}: {item.summary}"
    else:
        listed = ", ".join(f"#{i.incident_id} {i.service_id}" for i in page.items)
        text = f"[PAGER] {len(page.items)} incidents: {listed}"
    return shortened(one_line(_encodable(text)), SUBJECT_LIMIT)


def email_body(page: Page, timeline: TimelineLookup | None) -> str:
    parts = [_item_text(item, timeline) for item in page.items]
    return _encodable("\n\n".join(parts) + "\n")


def email_message(page: Page, *, sender: str, timeline: TimelineLookup | None, now: datetime) -> EmailMessage:
    """The mail for `page`. Raises ValueError if `sender` or `page.address` holds a line break."""
    message = EmailMessage(policy=_SEVEN_BIT)
    message["From"], message["To"] = sender, page.address
    message["Subject"] = email_subject(page)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(email_body(page, timeline))
    return message


def _encodable(text: str) -> str:
    # A lone surrogate (a JSON "\ud83d" cut in half) cannot be encoded in UTF-8: make it a "?".
    return text.encode("utf-8", "replace").decode("utf-8")


def _item_text(item: PageItem, timeline: TimelineLookup | None) -> str:
    level = f"level {item.level}" + (f", round {item.round + 1}" if item.round else "")
    lines = [
        f"#{item.incident_id} {item.service_name} ({item.service_id}): {item.summary}",
        f"Paging {level}.",
    ]
    if timeline is not None:
        lines.append("Timeline so far (UTC):")
        lines += [
            f"  {event.at:%Y-%m-%d %H:%M:%S} {_event_line(event)}" for event in timeline(item.incident_id)
        ]
    return "\n".join(lines)


def _event_line(event: Event) -> str:
    fields = {k: v for k, v in vars(event).items() if k != "at" and v not in (None, "", ())}
    return event.kind + "".join(f" {k}={v}" for k, v in fields.items())


class SmtpEmailSender:
    """Implements the Notifier port for Channel.EMAIL.

    With `starttls`, the server's certificate is verified against `tls_context` (by default the system's
    CAs, or those of the file named by SSL_CERT_FILE) and its host name checked.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeline: TimelineLookup | None = None,
        attempts: int = 3,
        backoff: float = 1.0,
        timeout: float = 10.0,
        clock: Clock | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._starttls, self._username, self._password = starttls, username, password
        self._timeline = timeline
        self._attempts, self._backoff, self._timeout = attempts, backoff, timeout
        self._clock = clock or SystemClock()
        self._tls_context = tls_context or ssl.create_default_context()

    def send(self, page: Page) -> None:
        """One mail to `page.address`. A refused recipient, a 5xx answer, an untrusted certificate or an
        address that cannot be written in a mail is permanent; a 4xx answer, a dropped connection or a
        timeout is retried a few times, then reported retryable."""
        try:
            message = email_message(page, sender=self._sender, timeline=self._timeline, now=self._clock.now())
        except ValueError as exc:
            raise SendFailed(f"cannot write this mail: {exc}", permanent=True) from exc
        with_retries(lambda: self._deliver(message), self._attempts, self._backoff)

    def _deliver(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                self._open_session(smtp)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise _failure(exc, starttls=self._starttls) from exc

    def _open_session(self, smtp: smtplib.SMTP) -> None:
        if self._starttls:
            smtp.starttls(context=self._tls_context)
        if not self._username:
            return
        smtp.ehlo_or_helo_if_needed()
        if not self._starttls and smtp.has_extn("starttls") and not smtp.has_extn("auth"):
            raise SendFailed(
                "SMTP server offers AUTH only after STARTTLS, which is off for this sender", permanent=True
            )
        smtp.login(self._username, self._password or "")


def _failure(exc: smtplib.SMTPException | OSError, *, starttls: bool) -> SendFailed:
    """The port's error for what smtplib or the socket raised: permanent when retrying cannot help."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = "for a private CA, point SSL_CERT_FILE at its certificate"
        return SendFailed(
            f"SMTP server's TLS certificate not trusted: {exc.verify_message} ({hint})", permanent=True
        )
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return SendFailed(f"SMTP TLS handshake failed: {exc.reason or exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPNotSupportedError):  # STARTTLS or AUTH asked of a server without it
        return SendFailed(f"SMTP server does not support it: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        permanent = all(code >= 500 for code, _ in exc.recipients.values())
        return SendFailed(f"SMTP refused the recipient: {_codes(exc)}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        reason = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
        if not starttls and "STARTTLS" in reason.upper():
            reason += " (STARTTLS is off for this sender)"
        return SendFailed(reason, permanent=exc.smtp_code >= 500)
    return SendFailed(f"SMTP server unreachable: {type(exc).__name__}", permanent=False)


def _codes(exc: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in exc.recipients.values())


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
