"""The SMTP fake refuses what a real submission server refuses, so passing against it means something."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

import pytest

from tests.fake_smtp import FakeSmtp, running_fake_smtp

FROM, TO = "pager@example.com", "alice@example.com"
GOOD = {
    "From": FROM,
    "To": TO,
    "Subject": "[PAGER] #12 payments: DB down",
    "Date": "Mon, 30 Nov 2026 09:00:00 +0000",
    "Message-ID": "<12.1@example.com>",
}


def raw_mail(headers: dict[str, str] | list[tuple[str, str]] = GOOD, body: bytes = b"DB down\r\n") -> bytes:
    fields = headers.items() if isinstance(headers, dict) else headers
    return b"".join(f"{name}: {value}\r\n".encode() for name, value in fields) + b"\r\n" + body


def without(name: str) -> dict[str, str]:
    return {k: v for k, v in GOOD.items() if k != name}


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with running_fake_smtp() as fake:
        yield fake


def send_raw(smtp: FakeSmtp, message: bytes) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=5) as client:
        client.sendmail(FROM, [TO], message)  # bytes go out as they are: no line-end repair


def refusal(smtp: FakeSmtp, message: bytes) -> tuple[int, str]:
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_raw(smtp, message)
    assert smtp.mails == []
    return refused.value.smtp_code, smtp.refused[0]


def test_well_formed_mail_is_accepted_and_kept(smtp: FakeSmtp) -> None:
    send_raw(smtp, raw_mail())

    assert (smtp.refused, [m["Subject"] for m in smtp.mails]) == ([], [GOOD["Subject"]])


@pytest.mark.parametrize("bare", ["\n", "\r"], ids=["lf", "cr"])
def test_bare_line_break_in_a_header_is_refused(smtp: FakeSmtp, bare: str) -> None:
    code, why = refusal(smtp, raw_mail({**GOOD, "Subject": f"DB down{bare}replica lag"}))

    assert (code, "bare CR or LF" in why) == (554, True)


def test_header_line_of_999_characters_is_refused(smtp: FakeSmtp) -> None:
    long_subject = "x" * (998 - len("Subject: ") + 1)

    code, why = refusal(smtp, raw_mail({**GOOD, "Subject": long_subject}))

    assert (code, "998" in why) == (554, True)


def test_header_line_of_998_characters_is_accepted(smtp: FakeSmtp) -> None:
    send_raw(smtp, raw_mail({**GOOD, "Subject": "x" * (998 - len("Subject: "))}))

    assert len(smtp.mails) == 1


@pytest.mark.parametrize("name", list(GOOD))
def test_mail_missing_a_required_header_is_refused(smtp: FakeSmtp, name: str) -> None:
    code, why = refusal(smtp, raw_mail(without(name)))

    assert (code, why.startswith(f"0 {name} fields")) == (554, True)


@pytest.mark.parametrize("name", list(GOOD))
def test_mail_with_a_header_twice_is_refused(smtp: FakeSmtp, name: str) -> None:
    code, why = refusal(smtp, raw_mail([*GOOD.items(), (name, GOOD[name])]))

    assert (code, why.startswith(f"2 {name} fields")) == (554, True)


def test_control_character_in_a_header_is_refused(smtp: FakeSmtp) -> None:
    code, why = refusal(smtp, raw_mail({**GOOD, "Subject": "DB\x1b[31m down"}))

    assert (code, "control character" in why) == (554, True)


def test_unencoded_non_ascii_header_is_refused(smtp: FakeSmtp) -> None:
    message = raw_mail(without("Subject")).replace(b"\r\n\r\n", "\r\nSubject: données\r\n\r\n".encode(), 1)

    code, why = refusal(smtp, message)

    assert (code, "8-bit" in why) == (554, True)


def test_header_line_that_is_not_a_field_is_refused(smtp: FakeSmtp) -> None:
    message = raw_mail().replace(b"\r\n\r\n", b"\r\nnot a header field\r\n\r\n", 1)

    code, why = refusal(smtp, message)

    assert (code, "neither a field nor a folded continuation" in why) == (554, True)


def test_eight_bit_body_without_8bitmime_is_refused(smtp: FakeSmtp) -> None:
    code, why = refusal(smtp, raw_mail(body="Base de données\r\n".encode()))

    assert (code, "BODY=8BITMIME" in why) == (554, True)


def test_folded_header_is_accepted(smtp: FakeSmtp) -> None:
    send_raw(smtp, raw_mail({**GOOD, "Subject": "[PAGER] 2 incidents:\r\n #12 payments, #13 search"}))

    assert smtp.mails[0]["Subject"] == "[PAGER] 2 incidents: #12 payments, #13 search"


def test_server_with_tls_refuses_mail_before_starttls() -> None:
    with running_fake_smtp(tls=True) as fake, smtplib.SMTP(fake.host, fake.port, timeout=5) as client:
        client.ehlo()
        offered = (client.has_extn("starttls"), client.has_extn("auth"))
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail(FROM, [TO], raw_mail())

    assert (offered, refused.value.smtp_code, fake.attempts) == ((True, False), 530, 0)


def login_over_tls(fake: FakeSmtp, password: str) -> tuple[bool, bool]:
    """Whether AUTH was offered before and after STARTTLS; the login raises if refused."""
    with smtplib.SMTP(fake.host, fake.port, timeout=5) as client:
        before = client.ehlo() and client.has_extn("auth")
        client.starttls(context=fake.client_tls_context())
        client.ehlo()
        after = client.has_extn("auth")
        client.login("pager", password)
        client.sendmail(FROM, [TO], raw_mail())
    return before, after


def test_server_offers_auth_only_after_starttls_and_takes_the_right_login() -> None:
    with running_fake_smtp(login=("pager", "secret"), tls=True) as fake:
        offered = login_over_tls(fake, "secret")

    assert (offered, len(fake.mails)) == ((False, True), 1)


def test_server_refuses_a_wrong_login_with_535() -> None:
    with (
        running_fake_smtp(login=("pager", "secret"), tls=True) as fake,
        pytest.raises(smtplib.SMTPAuthenticationError) as wrong,
    ):
        login_over_tls(fake, "not-the-secret")

    assert (wrong.value.smtp_code, fake.mails) == (535, [])
