"""SmtpEmailSender against a real in-process SMTP server (aiosmtpd) as strict as a submission server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from adapters.smtp_email import SUBJECT_LIMIT, SmtpEmailSender
from domain import events
from domain.delivery_ports import Page, PageItem
from domain.errors import SendFailed
from domain.model import Channel, IncidentId, ServiceId
from tests.fake_smtp import FakeSmtp, free_port, running_fake_smtp
from tests.fakes import FakeClock

TO = "alice@example.com"
LOGIN = ("pager", "smtp-password")
NOW = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
OPENED = events.IncidentOpened(
    at=datetime(2026, 11, 30, 9, tzinfo=UTC), service_id="payments", summary="DB down"
)


def item(incident: int, service: str = "payments", summary: str = "DB down") -> PageItem:
    return PageItem(IncidentId(incident), ServiceId(service), service.title(), summary, level=1, round=0)


def page(*items: PageItem) -> Page:
    return Page(Channel.EMAIL, TO, items or (item(12),))


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with running_fake_smtp() as fake:
        yield fake


@pytest.fixture
def submission() -> Iterator[FakeSmtp]:
    """A submission server: STARTTLS required, then AUTH required."""
    with running_fake_smtp(login=LOGIN, tls=True) as fake:
        yield fake


def sender(smtp: FakeSmtp, port: int | None = None, **options: Any) -> SmtpEmailSender:
    return SmtpEmailSender(
        smtp.host,
        port or smtp.port,
        sender="pager@example.com",
        timeline=lambda _: [OPENED],
        backoff=0.01,
        clock=FakeClock(NOW),
        **options,
    )


def over_tls(smtp: FakeSmtp, **options: Any) -> SmtpEmailSender:
    return sender(smtp, starttls=True, tls_context=smtp.client_tls_context(), **options)


def failure(send: SmtpEmailSender, to_send: Page | None = None) -> SendFailed:
    with pytest.raises(SendFailed) as failed:
        send.send(to_send or page())
    return failed.value


def test_mail_reaches_the_address_with_the_incident_in_the_subject(smtp: FakeSmtp) -> None:
    sender(smtp).send(page())

    assert [(m["To"], m["Subject"]) for m in smtp.mails] == [(TO, "[PAGER] #12 payments: DB down")]


def test_mail_is_dated_when_it_is_sent(smtp: FakeSmtp) -> None:
    sender(smtp).send(page())

    assert (smtp.refused, [parsedate_to_datetime(m["Date"]) for m in smtp.mails]) == ([], [NOW])


def test_mail_body_carries_the_timeline_so_far(smtp: FakeSmtp) -> None:
    sender(smtp).send(page())

    assert (
        "2026-11-30 09:00:00 IncidentOpened service_id=payments summary=DB down"
        in smtp.mails[0].get_content()
    )


def test_bundled_mail_lists_every_incident_in_its_subject(smtp: FakeSmtp) -> None:
    sender(smtp).send(page(item(12), item(13, "search")))

    assert smtp.mails[0]["Subject"] == "[PAGER] 2 incidents: #12 payments, #13 search"


def test_summary_over_several_lines_makes_a_one_line_subject_and_stays_whole_in_the_body(
    smtp: FakeSmtp,
) -> None:
    sender(smtp).send(page(item(12, summary="DB down\r\nreplica lag: 30s\n")))

    mail = smtp.mails[0]
    assert mail["Subject"] == "[PAGER] #12 payments: DB down replica lag: 30s"
    assert "payments): DB down\nreplica lag: 30s\n" in mail.get_content()


@pytest.mark.parametrize(
    "control",
    ["\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\x0b", "\t \x0c\r\n"],
    ids=["tab", "nul", "escape", "delete", "next-line", "line-separator", "vertical-tab", "a-run"],
)
def test_control_characters_in_a_summary_become_one_space_in_the_subject(
    smtp: FakeSmtp, control: str
) -> None:
    sender(smtp).send(page(item(12, summary=f"DB{control}down")))

    assert smtp.mails[0]["Subject"] == "[PAGER] #12 payments: DB down"


def test_long_summary_is_shortened_with_an_ellipsis_in_the_subject_and_kept_whole_in_the_body(
    smtp: FakeSmtp,
) -> None:
    summary = "disk full on " + ", ".join(f"db-{n}.eu-west-1.internal" for n in range(200))

    sender(smtp).send(page(item(12, summary=summary)))

    subject, body = smtp.mails[0]["Subject"], smtp.mails[0].get_content()
    assert (len(subject) <= SUBJECT_LIMIT, subject.endswith("…"), summary in body) == (True, True, True)
    assert subject.startswith("[PAGER] #12 payments: disk full on db-0.eu-west-1.internal, db-1")


def test_summary_without_a_space_longer_than_a_mail_line_is_shortened_and_sent(smtp: FakeSmtp) -> None:
    summary = "x" * 5000

    sender(smtp).send(page(item(12, summary=summary)))

    assert (len(smtp.mails[0]["Subject"]), summary in smtp.mails[0].get_content()) == (SUBJECT_LIMIT, True)


def test_bundle_of_forty_incidents_to_one_address_is_one_valid_mail(smtp: FakeSmtp) -> None:
    items = [item(n, f"service-{n}", f"replica {n} lagging\nsince 09:00") for n in range(1, 41)]

    sender(smtp).send(page(*items))

    assert (smtp.refused, len(smtp.mails)) == ([], 1)
    subject, body = smtp.mails[0]["Subject"], smtp.mails[0].get_content()
    assert subject.startswith("[PAGER] 40 incidents: #1 service-1, #2 service-2")
    assert len(subject) <= SUBJECT_LIMIT
    assert all(f"#{n} Service-{n} (service-{n}): replica {n} lagging\n" in body for n in range(1, 41))


def test_non_ascii_summary_decodes_back_to_the_same_text(smtp: FakeSmtp) -> None:
    summary = "Base de données en panne 🔥 — 数据库"

    sender(smtp).send(page(item(12, summary=summary)))

    mail = smtp.mails[0]
    assert (mail["Subject"], summary in mail.get_content()) == (f"[PAGER] #12 payments: {summary}", True)


def test_address_with_a_line_break_is_reported_permanent_and_nothing_is_sent(smtp: FakeSmtp) -> None:
    bad = Page(Channel.EMAIL, f"{TO}\r\nBcc: eve@example.com", (item(12),))

    failed = failure(sender(smtp), bad)

    assert (failed.permanent, smtp.attempts, smtp.mails) == (True, 0, [])


def test_non_ascii_address_to_a_server_without_smtputf8_is_reported_permanent(smtp: FakeSmtp) -> None:
    failed = failure(sender(smtp), Page(Channel.EMAIL, "renée@example.com", (item(12),)))

    assert (failed.permanent, "SMTPUTF8" in failed.reason, smtp.mails) == (True, True, [])


def test_temporary_refusal_at_the_end_of_data_is_reported_retryable(smtp: FakeSmtp) -> None:
    smtp.stall = 0.05  # then answers 451

    failed = failure(sender(smtp, attempts=1))

    assert (failed.permanent, failed.reason.startswith("SMTP 451"), smtp.mails) == (False, True, [])


def test_refused_recipient_is_reported_permanent(smtp: FakeSmtp) -> None:
    smtp.refuse_next.append("550 5.1.1 no such user")

    failed = failure(sender(smtp))

    assert (failed.permanent, smtp.mails) == (True, [])


def test_temporarily_refused_recipient_is_retried_until_the_mail_goes(smtp: FakeSmtp) -> None:
    smtp.refuse_next.append("451 4.3.0 try again later")

    sender(smtp).send(page())

    assert len(smtp.mails) == 1


def test_unreachable_server_is_reported_retryable(smtp: FakeSmtp) -> None:
    assert failure(sender(smtp, port=free_port())).permanent is False


def test_server_that_never_answers_is_reported_retryable_after_the_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never says a word
        port = silent.getsockname()[1]
        send = SmtpEmailSender("127.0.0.1", port, sender="pager@example.com", attempts=1, timeout=0.2)

        assert failure(send).permanent is False


def test_starttls_asked_of_a_server_without_it_is_reported_permanent(smtp: FakeSmtp) -> None:
    failed = failure(sender(smtp, starttls=True))

    assert (failed.permanent, "STARTTLS" in failed.reason.upper()) == (True, True)


def test_page_goes_over_starttls_with_a_verified_certificate_and_a_login(submission: FakeSmtp) -> None:
    over_tls(submission, username=LOGIN[0], password=LOGIN[1]).send(page())

    assert [(m["To"], m["Subject"]) for m in submission.mails] == [(TO, "[PAGER] #12 payments: DB down")]


def test_untrusted_server_certificate_is_reported_permanent_with_the_reason(submission: FakeSmtp) -> None:
    # The system's CAs only: the test CA that signed the fake's certificate is not among them.
    failed = failure(sender(submission, starttls=True, username=LOGIN[0], password=LOGIN[1]))

    assert (failed.permanent, "certificate" in failed.reason, submission.attempts) == (True, True, 0)


def test_wrong_password_is_reported_permanent(submission: FakeSmtp) -> None:
    failed = failure(over_tls(submission, username=LOGIN[0], password="wrong"))

    assert (failed.permanent, failed.reason.startswith("SMTP 535"), submission.mails) == (True, True, [])


def test_server_requiring_starttls_tells_a_plain_sender_to_turn_it_on(submission: FakeSmtp) -> None:
    failed = failure(sender(submission))

    assert (failed.permanent, "STARTTLS" in failed.reason, submission.attempts) == (True, True, 0)


def test_login_refused_before_starttls_tells_the_sender_to_turn_it_on(submission: FakeSmtp) -> None:
    failed = failure(sender(submission, username=LOGIN[0], password=LOGIN[1]))

    assert (failed.permanent, "STARTTLS" in failed.reason, submission.attempts) == (True, True, 0)


def test_missing_login_on_a_server_requiring_one_is_reported_permanent(submission: FakeSmtp) -> None:
    failed = failure(over_tls(submission))

    assert (failed.permanent, failed.reason.startswith("SMTP 530"), submission.mails) == (True, True, [])
