"""What a page call says: one incident or a bundle, in words a voice can read, within Twilio's limits."""

from __future__ import annotations

from adapters.voice_script import MAX_SPEECH, call_query, page_speech, speakable
from domain.delivery_ports import PageItem
from domain.model import IncidentId, ServiceId


def item(incident: int, summary: str = "DB down", service: str = "Payments API") -> PageItem:
    return PageItem(IncidentId(incident), ServiceId("payments"), service, summary, level=1, round=0)


def test_one_incident_is_read_with_its_number_service_and_summary() -> None:
    assert page_speech([item(12)]) == "Pager alert. Incident 12, Payments API: DB down."


def test_a_bundle_is_counted_then_read_incident_by_incident() -> None:
    assert page_speech([item(1), item(2, "slow", "Search")]) == (
        "Pager alert: 2 incidents. Incident 1, Payments API: DB down. Incident 2, Search: slow."
    )


def test_control_and_format_characters_are_not_read() -> None:
    assert speakable("DB\x00 down\x07\u200b\nnow\ufffe") == "DB down now"


def test_a_long_summary_is_cut_at_a_word() -> None:
    spoken = page_speech([item(12, "disk full " * 100)])

    assert (len(spoken) < 200, spoken.endswith("disk full.")) == (True, True)


def test_a_huge_bundle_names_what_fits_and_counts_the_rest() -> None:
    spoken = page_speech([item(n, "x" * 200) for n in range(1, 301)])

    assert (len(spoken) <= MAX_SPEECH, spoken.endswith("more.")) == (True, True)


def test_the_query_keeps_every_step_and_the_person() -> None:
    assert call_query([(1, 1, 0), (2, 2, 1)], "al ice", miss=1) == "steps=1.1.0-2.2.1&person=al+ice&miss=1"


def test_the_query_of_a_huge_bundle_stays_short_enough_for_twilio() -> None:
    assert len(call_query([(n, 1, 0) for n in range(100_000, 101_000)], "alice")) < 4000
