"""SmtpEmailSender against a real in-process SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters.smtp_email import SmtpEmailSender
from domain import events
from domain.errors import NotificationFailed
from domain.model import Channel, IncidentId, ServiceId
from domain.ports import Page, PageItem
from tests.fake_smtp import FakeSmtp, free_port, running_fake_smtp

TO = "alice@example.com"
OPENED = events.IncidentOpened(
    at=datetime(2026, 11, 30, 9, tzinfo=UTC), service_id="payments", summary="DB down"
)


def item(incident: int, service: str = "payments") -> PageItem:
    return PageItem(IncidentId(incident), ServiceId(service), service.title(), "DB down", level=1, round=0)


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with running_fake_smtp() as fake:
        yield fake


def sender(smtp: FakeSmtp, port: int | None = None) -> SmtpEmailSender:
    return SmtpEmailSender(
        smtp.host, port or smtp.port, sender="pager@example.com", timeline=lambda _: [OPENED], backoff=0.01
    )


def test_mail_reaches_the_address_with_the_incident_in_the_subject(smtp: FakeSmtp) -> None:
    sender(smtp).send(Page(Channel.EMAIL, TO, (item(12),)))

    assert [(m["To"], m["Subject"]) for m in smtp.mails] == [(TO, "[PAGER] #12 payments: DB down")]


def test_mail_body_carries_the_timeline_so_far(smtp: FakeSmtp) -> None:
    sender(smtp).send(Page(Channel.EMAIL, TO, (item(12),)))

    assert (
        "2026-11-30 09:00:00 IncidentOpened service_id=payments summary=DB down"
        in smtp.mails[0].get_payload()
    )


def test_bundled_mail_lists_every_incident_in_its_subject(smtp: FakeSmtp) -> None:
    sender(smtp).send(Page(Channel.EMAIL, TO, (item(12), item(13, "search"))))

    assert smtp.mails[0]["Subject"] == "[PAGER] 2 incidents: #12 payments, #13 search"


def test_refused_recipient_is_reported_permanent(smtp: FakeSmtp) -> None:
    smtp.refuse_next.append("550 5.1.1 no such user")

    with pytest.raises(NotificationFailed) as failed:
        sender(smtp).send(Page(Channel.EMAIL, TO, (item(12),)))
    assert (failed.value.permanent, smtp.mails) == (True, [])


def test_temporarily_refused_recipient_is_retried_until_the_mail_goes(smtp: FakeSmtp) -> None:
    smtp.refuse_next.append("451 4.3.0 try again later")

    sender(smtp).send(Page(Channel.EMAIL, TO, (item(12),)))

    assert len(smtp.mails) == 1


def test_unreachable_server_is_reported_retryable(smtp: FakeSmtp) -> None:
    with pytest.raises(NotificationFailed) as failed:
        sender(smtp, port=free_port()).send(Page(Channel.EMAIL, TO, (item(12),)))
    assert failed.value.permanent is False


def test_starttls_asked_of_a_server_without_it_is_reported_permanent(smtp: FakeSmtp) -> None:
    plain = SmtpEmailSender(smtp.host, smtp.port, sender="pager@example.com", starttls=True, backoff=0.01)

    with pytest.raises(NotificationFailed) as failed:
        plain.send(Page(Channel.EMAIL, TO, (item(12),)))
    assert (failed.value.permanent, "STARTTLS" in failed.value.reason.upper()) == (True, True)
