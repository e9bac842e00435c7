"""The SMS text of a page: what broke, how to reply, in one segment when it can be."""

from __future__ import annotations

from adapters.sms_text import fits_one_segment, sms_text
from domain.model import Channel, IncidentId, ServiceId
from domain.ports import Page, PageItem


def page(*summaries: str) -> Page:
    items = tuple(
        PageItem(IncidentId(12 + n), ServiceId("payments"), "Payments", s, level=1, round=0)
        for n, s in enumerate(summaries)
    )
    return Page(Channel.SMS, "+33612345678", items)


def test_short_page_is_sent_whole() -> None:
    assert sms_text(page("DB down")) == "PAGER #12 payments: DB down\nReply 12A to ack, 12R to resolve"


def test_long_summary_is_shortened_with_dots_to_one_segment() -> None:
    text = sms_text(page("connection pool exhausted " * 10))

    assert (fits_one_segment(text), len(text) > 150, "...\n" in text) == (True, True, True)


def test_summary_outside_the_gsm_alphabet_fits_a_seventy_character_segment() -> None:
    text = sms_text(page("数据库连接池耗尽" * 10))

    assert (fits_one_segment(text), len(text) <= 70) == (True, True)


def test_bundle_of_many_incidents_keeps_every_incident_number_even_over_one_segment() -> None:
    text = sms_text(page(*["disk full on a very busy host"] * 8))

    assert all(f"#{n}" in text for n in range(12, 20))
