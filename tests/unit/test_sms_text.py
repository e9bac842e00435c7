"""The SMS text of a page: what broke, how to reply, in one segment (as Twilio counts it) when it can be."""

from __future__ import annotations

import random

import pytest

from adapters.sms_text import fits_one_segment, sms_text
from domain.delivery_ports import Page, PageItem
from domain.model import Channel, IncidentId, ServiceId
from tests.twilio_segments import encoded_units, num_segments

REPLY = "Reply 12A to ack, 12R to resolve"


def page(*summaries: str) -> Page:
    items = tuple(
        PageItem(IncidentId(12 + n), ServiceId("payments"), "Payments", s, level=1, round=0)
        for n, s in enumerate(summaries)
    )
    return Page(Channel.SMS, "+33612345678", items)


def summary_of(text: str) -> str:
    """The summary as the single-incident page shows it."""
    return text.removeprefix("PAGER #12 payments: ").removesuffix(f"\n{REPLY}")


def test_short_page_is_sent_whole() -> None:
    assert sms_text(page("DB down")) == f"PAGER #12 payments: DB down\n{REPLY}"


def test_long_summary_is_shortened_with_dots_to_one_segment() -> None:
    text = sms_text(page("connection pool exhausted " * 10))

    assert (fits_one_segment(text), len(text) > 150, "...\n" in text) == (True, True, True)


def test_summary_outside_the_gsm_alphabet_fits_a_seventy_character_segment() -> None:
    text = sms_text(page("数据库连接池耗尽" * 10))

    assert (fits_one_segment(text), len(text) <= 70) == (True, True)


def test_bundle_of_many_incidents_keeps_every_incident_number_even_over_one_segment() -> None:
    text = sms_text(page(*["disk full on a very busy host"] * 8))

    assert all(f"#{n}" in text for n in range(12, 20))


@pytest.mark.parametrize(
    "summary",
    [
        "🔥 disk full on db-1 " * 10,  # emoji are two UTF-16 code units each
        "🚨" * 80,
        "{json: [1, 2]} | ^~ € \\ " * 10,  # GSM-7 extension characters are two septets each
        "€" * 200,
        "数据库连接池耗尽 🔥" * 20,
        "naïve café, Ünïcödé: œ ç " * 10,
    ],
)
def test_a_long_summary_is_shortened_to_one_segment_as_twilio_counts_it(summary: str) -> None:
    text = sms_text(page(summary))

    assert (num_segments(text), text.endswith(REPLY), "...\n" in text) == (1, True, True)


def test_an_emoji_summary_that_fits_is_not_shortened_below_what_fits() -> None:
    text = sms_text(page("🔥" * 40))

    assert (num_segments(text), encoded_units(text) >= 69) == (1, True)


def test_a_summary_with_gsm_extension_characters_keeps_the_room_of_a_gsm_segment() -> None:
    text = sms_text(page("{" + "x" * 300))

    assert (num_segments(text), len(text) > 140) == (1, True)


def test_newlines_tabs_and_control_characters_of_a_summary_become_single_spaces() -> None:
    text = sms_text(page("disk full\r\non db-1\tand\x00db-2\u2028now\x1b"))

    assert summary_of(text) == "disk full on db-1 and db-2 now"


def test_a_lone_surrogate_from_a_monitor_does_not_make_the_body_unsendable() -> None:
    text = sms_text(page("disk \ud83d full"))

    assert text.encode("utf-8") and "disk \ufffd full" in text


@pytest.mark.parametrize("unit", ["👩\u200d💻", "🇫🇷", "e\u0301", "👍🏽", "❤\ufe0f"])
def test_shortening_never_splits_a_character(unit: str) -> None:
    text = sms_text(page("x" + unit * 60))

    shown = summary_of(text).removeprefix("x").removesuffix("...")
    assert (shown == unit * (len(shown) // len(unit)), len(shown) > 0) == (True, True)


def test_bundle_of_two_hundred_incidents_stays_within_1600_characters_and_counts_the_rest() -> None:
    text = sms_text(page(*["disk full on a very busy host"] * 200))

    lines = text.splitlines()
    listed = [line for line in lines if line.startswith("#")]
    assert encoded_units(text) <= 1600
    assert lines[-2:] == [f"+{200 - len(listed)} more", "Reply AA to ack all, or 12A / 12R for one"]
    assert [line.split()[0] for line in listed] == [f"#{n}" for n in range(12, 12 + len(listed))]


def test_bundle_of_emoji_summaries_stays_within_1600_utf16_code_units() -> None:
    text = sms_text(page(*["🔥" * 30] * 300))

    assert (encoded_units(text) <= 1600, text.splitlines()[0]) == (True, "PAGER 300 incidents:")


def test_bundle_that_fits_1600_characters_lists_every_incident_without_a_more_line() -> None:
    text = sms_text(page(*["disk full"] * 20))

    assert ("more" not in text, sum(line.startswith("#") for line in text.splitlines())) == (True, 20)


def random_text(rng: random.Random) -> str:
    """40 to 170 characters: GSM-7 ones (extension characters among them), some with a few others mixed in."""
    gsm, other = "aZ09 .,\n@£ΔÉ{}[]~^|€\\\f", "éçœ数😀👍🏽\u00a0\u2019"
    odds = rng.choice([0.0, 0.0, 0.01, 0.3])
    return "".join(rng.choice(other if rng.random() < odds else gsm) for _ in range(rng.randint(40, 170)))


def test_one_segment_is_judged_as_the_independent_count_judges_it() -> None:
    rng = random.Random(20261204)
    texts = [random_text(rng) for _ in range(3000)]

    judged = [(fits_one_segment(t), num_segments(t) == 1) for t in texts]
    assert [t for t, (ours, theirs) in zip(texts, judged, strict=True) if ours != theirs] == []
    assert {ours for ours, _ in judged} == {True, False}
