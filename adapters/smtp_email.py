"""The email notifier over SMTP (standard library smtplib): one mail per page, with the timeline so far."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import make_msgid

from adapters.retrying import with_retries
from domain.errors import NotificationFailed
from domain.events import Event
from domain.model import IncidentId
from domain.ports import Page, PageItem

TimelineLookup = Callable[[IncidentId], Sequence[Event]]


def email_subject(page: Page) -> str:
    if len(page.items) == 1:
        item = page.items[0]
        return f"[PAGER] #{item.incident_id} {item.service_id}: {item.summary}"
    listed = ", ".join(f"#{i.incident_id} {i.service_id}" for i in page.items)
    return f"[PAGER] {len(page.items)} incidents: {listed}"


def email_body(page: Page, timeline: TimelineLookup | None) -> str:
    parts = [_item_text(item, timeline) for item in page.items]
    return "\n\n".join(parts) + "\n"


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
    """Implements the Notifier port for Channel.EMAIL."""

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
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._starttls, self._username, self._password = starttls, username, password
        self._timeline = timeline
        self._attempts, self._backoff, self._timeout = attempts, backoff, timeout

    def send(self, page: Page) -> None:
        """One mail to `page.address`. A refused recipient or a 5xx answer is permanent; a 4xx answer,
        a dropped connection or a timeout is retried a few times, then reported retryable."""
        message = EmailMessage()
        message["From"], message["To"] = self._sender, page.address
        message["Subject"] = email_subject(page)
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(email_body(page, self._timeline))
        with_retries(lambda: self._deliver(message), self._attempts, self._backoff)

    def _deliver(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(message)
        except smtplib.SMTPNotSupportedError as exc:  # STARTTLS or AUTH asked of a server without it
            raise NotificationFailed(f"SMTP server does not support it: {exc}", permanent=True) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise NotificationFailed(
                f"SMTP refused the recipient: {_codes(exc)}", permanent=permanent
            ) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = exc.smtp_code >= 500
            raise NotificationFailed(
                f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}", permanent=permanent
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationFailed(
                f"SMTP server unreachable: {type(exc).__name__}", permanent=False
            ) from exc


def _codes(exc: smtplib.SMTPRecipientsRefused) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in exc.recipients.values())


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value
