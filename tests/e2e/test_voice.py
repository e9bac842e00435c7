"""End to end by phone call: a page rings, a key acts as the person called, how the call ended counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.voice_harness import ALICE, BOB, DAVE, PUBLIC_URL, VoiceHarness, make_voice_harness


@pytest.fixture
def voice(database_url: str, tmp_path: Path) -> Iterator[VoiceHarness]:
    yield from make_voice_harness(database_url, tmp_path)


@pytest.fixture
def sqlite_voice(sqlite_url: str, tmp_path: Path) -> Iterator[VoiceHarness]:
    yield from make_voice_harness(sqlite_url, tmp_path)


def paged(voice: VoiceHarness, *services: str) -> VoiceHarness:
    for service in services:
        voice.alert(service)
    voice.advance()
    return voice


def test_an_alert_calls_the_person_with_machine_detection_and_callbacks(voice: VoiceHarness) -> None:
    paged(voice, "payments")

    [call] = voice.twilio.calls
    query = parse_qs(urlsplit(call["Url"]).query)
    assert (call["To"], call["MachineDetection"], query, call["StatusCallback"].split("?")[0]) == (
        ALICE,
        "Enable",
        {"steps": ["1.1.0"], "person": ["alice"]},
        f"{PUBLIC_URL}/twilio/voice/status",
    )


def test_answered_call_reads_the_page_and_gathers_one_key(voice: VoiceHarness) -> None:
    answer = paged(voice, "payments").answer()

    assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (200, "text/xml")
    assert '<Gather action="https://pager.example.com/twilio/voice?' in answer.text
    assert 'numDigits="1"' in answer.text
    assert "Incident 1, Payments API: DB down." in answer.text


def test_key_1_acknowledges_and_says_so(voice: VoiceHarness) -> None:
    twiml = paged(voice, "payments").answer().text

    pressed = voice.press(twiml, "1")

    assert ("Incident 1 acknowledged by Alice." in pressed.text, voice.incident_state(1)) == (
        True,
        "acknowledged",
    )


def test_key_1_stops_the_escalation(voice: VoiceHarness) -> None:
    voice.press(paged(voice, "payments").answer().text, "1")

    voice.advance(timedelta(minutes=10))

    assert ([c["To"] for c in voice.twilio.calls], [m["To"] for m in voice.twilio.messages]) == (
        [ALICE],
        [ALICE],
    )


def test_key_2_resolves(sqlite_voice: VoiceHarness) -> None:
    pressed = sqlite_voice.press(paged(sqlite_voice, "payments").answer().text, "2")

    assert ("Incident 1 resolved by Alice." in pressed.text, sqlite_voice.incident_state(1)) == (
        True,
        "resolved",
    )


def test_key_3_reads_the_page_again(sqlite_voice: VoiceHarness) -> None:
    pressed = sqlite_voice.press(paged(sqlite_voice, "payments").answer().text, "3")

    assert ("Incident 1, Payments API" in pressed.text, "<Gather" in pressed.text) == (True, True)


def test_silence_reads_the_page_once_more_then_hangs_up(sqlite_voice: VoiceHarness) -> None:
    first = sqlite_voice.press(paged(sqlite_voice, "payments").answer().text, "")

    second = sqlite_voice.press(first.text, "")

    assert ("<Gather" in first.text, "<Gather" in second.text, "<Hangup" in second.text) == (
        True,
        False,
        True,
    )
    assert sqlite_voice.incident_state(1) == "triggered"


def test_a_forged_key_press_is_refused_and_changes_nothing(sqlite_voice: VoiceHarness) -> None:
    twiml = paged(sqlite_voice, "payments").answer().text
    fields = {"CallSid": sqlite_voice.call_sid(), "To": ALICE, "Digits": "2"}
    action = twiml.split('action="')[1].split('"')[0].replace("&amp;", "&").removeprefix(PUBLIC_URL)

    answer = sqlite_voice.twilio_post(action, fields, signature="bm90IGEgc2lnbmF0dXJl")

    assert (answer.status_code, sqlite_voice.incident_state(1)) == (403, "triggered")


def test_a_replayed_key_press_acts_once(sqlite_voice: VoiceHarness) -> None:
    twiml = paged(sqlite_voice, "payments").answer().text
    sqlite_voice.press(twiml, "1")

    again = sqlite_voice.press(twiml, "1")

    assert "This was already done." in again.text
    assert sqlite_voice.timeline_kinds(1).count("IncidentAcknowledged") == 1


def test_a_key_press_for_another_persons_call_changes_nothing(sqlite_voice: VoiceHarness) -> None:
    paged(sqlite_voice, "payments")
    fields = {"CallSid": sqlite_voice.call_sid(), "To": ALICE, "Digits": "2"}

    answer = sqlite_voice.twilio_post("/twilio/voice?steps=1.1.0&person=bob", fields)

    assert ("cannot act" in answer.text, sqlite_voice.incident_state(1)) == (True, "triggered")


def test_no_answer_pages_the_next_method_at_once(voice: VoiceHarness) -> None:
    paged(voice, "billing")
    assert voice.smtp.mails == []

    answer = voice.status("no-answer")
    voice.advance()

    assert (answer.status_code, [m["To"] for m in voice.smtp.mails]) == (200, ["dave@example.com"])
    assert "DeliveryReported" in voice.timeline_kinds(1)


def test_a_completed_call_pages_nobody_else(sqlite_voice: VoiceHarness) -> None:
    paged(sqlite_voice, "billing").status("completed")
    sqlite_voice.advance()

    assert sqlite_voice.smtp.mails == []


def test_a_voicemail_hears_a_short_message_and_does_not_acknowledge(voice: VoiceHarness) -> None:
    answer = paged(voice, "billing").answer(answered_by="machine_start")
    voice.advance()

    assert ("<Gather" in answer.text, "check your pages" in answer.text, voice.incident_state(1)) == (
        False,
        True,
        "triggered",
    )
    assert [m["To"] for m in voice.smtp.mails] == ["dave@example.com"]


def test_two_incidents_at_once_make_one_call_listing_both(voice: VoiceHarness) -> None:
    answer = paged(voice, "payments", "search").answer()

    assert (
        len(voice.twilio.calls),
        "Incident 1, Payments API" in answer.text,
        "Incident 2, search" in answer.text,
    ) == (
        1,
        True,
        True,
    )


def test_key_1_in_a_bundled_call_acknowledges_every_incident(voice: VoiceHarness) -> None:
    pressed = voice.press(paged(voice, "payments", "search").answer().text, "1")

    assert "Incidents 1 and 2 acknowledged by Alice." in pressed.text
    assert (voice.incident_state(1), voice.incident_state(2)) == ("acknowledged", "acknowledged")


def test_a_call_is_on_the_timeline_and_counted(sqlite_voice: VoiceHarness) -> None:
    paged(sqlite_voice, "payments")

    metrics = sqlite_voice.client.get("/metrics").text
    assert 'pager_notifications_total{channel="voice",outcome="sent"} 1.0' in metrics
    assert sqlite_voice.timeline_kinds(1).count("NotificationSent") == 2  # the call and the SMS


def test_the_next_level_is_called_too_when_nobody_acknowledges(sqlite_voice: VoiceHarness) -> None:
    paged(sqlite_voice, "payments").advance(timedelta(minutes=5))

    assert (
        [c["To"] for c in sqlite_voice.twilio.calls],
        [m["To"] for m in sqlite_voice.twilio.messages],
    ) == (
        [ALICE],
        [ALICE, BOB],
    )


def test_status_unsigned_is_refused(sqlite_voice: VoiceHarness) -> None:
    paged(sqlite_voice, "billing")
    fields = {"CallSid": sqlite_voice.call_sid(), "To": DAVE, "CallStatus": "no-answer"}

    answer = sqlite_voice.twilio_post(
        "/twilio/voice/status?steps=1.1.0", fields, signature="bm90IGEgc2lnbmF0dXJl"
    )
    sqlite_voice.advance()

    assert (answer.status_code, sqlite_voice.smtp.mails) == (403, [])
