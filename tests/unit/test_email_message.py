"""The mail a page makes: one-line bounded headers a strict SMTP server accepts, whatever a monitor wrote."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from adapters.smtp_email import SUBJECT_LIMIT, email_message, email_subject, one_line
from domain.delivery_ports import Page, PageItem
from domain.model import Channel, IncidentId, ServiceId
from tests.fake_smtp import message_problem

NOW = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)


def page(*summaries: str) -> Page:
    items = tuple(
        PageItem(IncidentId(12 + n), ServiceId("payments"), "Payments", s, level=1, round=0)
        for n, s in enumerate(summaries)
    )
    return Page(Channel.EMAIL, "alice@example.com", items)


def wire_bytes(to_send: Page) -> bytes:
    message = email_message(to_send, sender="pager@example.com", timeline=None, now=NOW)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as smtplib sends it


def test_one_line_makes_each_run_of_white_space_and_control_characters_one_space() -> None:
    assert one_line(" DB\r\n\tdown\x00\x1b now\u2028 ") == "DB down now"


def test_subject_of_a_long_summary_ends_with_an_ellipsis_at_the_limit() -> None:
    subject = email_subject(page("replica lag " * 100))

    assert (len(subject), subject[-1], subject[-2] != " ") == (SUBJECT_LIMIT, "…", True)


def test_lone_surrogate_in_a_summary_becomes_a_question_mark() -> None:
    assert email_subject(page("DB \ud83d down")) == "[PAGER] #12 payments: DB ? down"


@given(st.lists(st.text(), min_size=1, max_size=40))
def test_any_summaries_make_a_mail_a_strict_server_accepts(summaries: list[str]) -> None:
    to_send = page(*summaries)

    subject = email_subject(to_send)
    assert (len(subject) <= SUBJECT_LIMIT, subject == one_line(subject)) == (True, True)
    assert message_problem(wire_bytes(to_send)) is None
