"""End to end by SMS: an alert pages whoever is on call, replies act on incidents, delivery reports count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from tests.e2e.conftest import API_TOKEN, Harness
from tests.e2e.sms_harness import ALICE, DAVE, PUBLIC_URL, STRANGER, SmsHarness, make_sms_harness
from tests.fake_twilio import AUTH_TOKEN, Answer


@pytest.fixture
def sms(database_url: str, tmp_path: Path) -> Iterator[SmsHarness]:
    yield from make_sms_harness(database_url, tmp_path)


@pytest.fixture
def sqlite_sms(sqlite_url: str, tmp_path: Path) -> Iterator[SmsHarness]:
    yield from make_sms_harness(sqlite_url, tmp_path)


def paged(sms: SmsHarness, *services: str) -> SmsHarness:
    for service in services:
        sms.alert(service)
    sms.advance()
    return sms


def test_alert_pages_the_on_call_person_of_the_rotation_by_sms(sms: SmsHarness) -> None:
    paged(sms, "payments")

    assert [(m["To"], m["Body"].splitlines()[0]) for m in sms.twilio.messages] == [
        (ALICE, "PAGER #1 payments: DB down")
    ]


def test_ack_reply_acknowledges_and_confirms(sms: SmsHarness) -> None:
    answer = paged(sms, "payments").reply(ALICE, "1A")

    assert (answer.status_code, "<Message>Acknowledged #1. Escalation stopped.</Message>" in answer.text) == (
        200,
        True,
    )
    assert sms.incident_state(1) == "acknowledged"


def test_ack_reply_stops_the_escalation(sms: SmsHarness) -> None:
    paged(sms, "payments").reply(ALICE, "1A")

    sms.advance(timedelta(minutes=10))

    assert [m["To"] for m in sms.twilio.messages] == [ALICE]


def test_reply_from_an_unknown_number_gets_help_and_changes_nothing(sqlite_sms: SmsHarness) -> None:
    answer = paged(sqlite_sms, "payments").reply(STRANGER, "1A")

    assert ("reply 12A" in answer.text, sqlite_sms.incident_state(1)) == (True, "triggered")


def test_reply_with_a_bad_signature_is_refused_with_403_and_changes_nothing(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "payments")
    fields = {"MessageSid": "SM1", "From": ALICE, "Body": "1A"}

    answer = sqlite_sms.twilio_post("/twilio/sms", fields, signature="bm90IGEgc2lnbmF0dXJl")

    assert (answer.status_code, answer.json()["errors"][0]["field"], sqlite_sms.incident_state(1)) == (
        403,
        "X-Twilio-Signature",
        "triggered",
    )


def test_reply_signed_for_other_fields_is_refused_with_403(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "payments")
    signed = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/twilio/sms", {"MessageSid": "SM1", "From": ALICE, "Body": "help"}
    )
    answer = sqlite_sms.twilio_post("/twilio/sms", {"MessageSid": "SM1", "From": ALICE, "Body": "1R"}, signed)

    assert (answer.status_code, sqlite_sms.incident_state(1)) == (403, "triggered")


def test_reply_signed_for_another_url_is_refused_with_403_and_changes_nothing(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "payments")
    fields = {"MessageSid": "SM1", "From": ALICE, "Body": "1R"}
    elsewhere = RequestValidator(AUTH_TOKEN).compute_signature("https://other.example.com/twilio/sms", fields)

    answer = sqlite_sms.twilio_post("/twilio/sms", fields, elsewhere)

    assert (answer.status_code, sqlite_sms.incident_state(1)) == (403, "triggered")


def test_same_message_sid_twice_is_acted_on_once(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "payments").reply(ALICE, "1R", message_sid="SM" + "7" * 32)

    again = sqlite_sms.reply(ALICE, "1R", message_sid="SM" + "7" * 32)

    assert (again.status_code, "<Message>" in again.text, sqlite_sms.incident_state(1)) == (
        200,
        False,
        "resolved",
    )


def test_reply_without_a_sender_is_refused_naming_the_field(sqlite_sms: SmsHarness) -> None:
    answer = sqlite_sms.twilio_post("/twilio/sms", {"MessageSid": "SM1", "Body": "AA"})

    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "From")


def test_twilio_failing_twice_then_accepting_sends_exactly_one_sms(sms: SmsHarness) -> None:
    sms.twilio.answer_next(Answer(500), Answer(500))

    paged(sms, "payments")
    sms.advance(timedelta(minutes=1))

    assert (sms.twilio.attempts, len(sms.twilio.messages)) == (3, 1)


def test_undelivered_status_sends_the_page_by_email_instead(sms: SmsHarness) -> None:
    paged(sms, "billing")
    assert sms.smtp.mails == []
    callback = sms.twilio.messages[0]["StatusCallback"].removeprefix(PUBLIC_URL)

    answer = sms.twilio_post(
        callback, {"MessageSid": "SM1", "MessageStatus": "undelivered", "To": DAVE, "ErrorCode": "30003"}
    )
    sms.advance()

    assert (answer.status_code, [m["To"] for m in sms.smtp.mails]) == (204, ["dave@example.com"])


def test_two_services_at_once_send_one_sms_listing_both(sms: SmsHarness) -> None:
    paged(sms, "payments", "search")

    assert [m["Body"].splitlines()[1:3] for m in sms.twilio.messages] == [
        ["#1 payments: DB down", "#2 search: DB down"]
    ]


def test_two_services_at_once_send_one_email_listing_both(sms: SmsHarness) -> None:
    paged(sms, "payments", "search")

    assert [m["Subject"] for m in sms.smtp.mails] == ["[PAGER] 2 incidents: #1 payments, #2 search"]


def test_one_ack_all_reply_acknowledges_both(sms: SmsHarness) -> None:
    answer = paged(sms, "payments", "search").reply(ALICE, "AA")

    assert ("Acknowledged #1, #2." in answer.text, sms.incident_state(1), sms.incident_state(2)) == (
        True,
        "acknowledged",
        "acknowledged",
    )


def test_status_report_with_a_bad_signature_is_refused_and_sends_nothing(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "billing")
    fields = {"MessageSid": "SM1", "MessageStatus": "undelivered", "To": DAVE}

    answer = sqlite_sms.twilio_post("/twilio/status?steps=1.1.0", fields, signature="bm90IGEgc2lnbmF0dXJl")
    sqlite_sms.advance()

    assert (answer.status_code, sqlite_sms.smtp.mails) == (403, [])


def test_status_report_signed_for_other_steps_is_refused_and_sends_nothing(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "billing")
    fields = {"MessageSid": "SM1", "MessageStatus": "undelivered", "To": DAVE}
    other_url = f"{PUBLIC_URL}/twilio/status?steps=7.1.0"
    signed_for_other_steps = RequestValidator(AUTH_TOKEN).compute_signature(other_url, fields)

    answer = sqlite_sms.twilio_post("/twilio/status?steps=1.1.0", fields, signed_for_other_steps)
    sqlite_sms.advance()

    assert (answer.status_code, sqlite_sms.smtp.mails) == (403, [])


def test_an_undelivered_report_received_twice_sends_one_email(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "billing")
    callback = sqlite_sms.twilio.messages[0]["StatusCallback"].removeprefix(PUBLIC_URL)
    fields = {"MessageSid": "SM1", "MessageStatus": "undelivered", "To": DAVE, "ErrorCode": "30003"}

    answers = [sqlite_sms.twilio_post(callback, fields).status_code for _ in range(2)]
    sqlite_sms.advance()

    assert (answers, [m["To"] for m in sqlite_sms.smtp.mails]) == ([204, 204], ["dave@example.com"])


def test_delivered_status_is_written_on_the_timeline(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "payments")
    callback = sqlite_sms.twilio.messages[0]["StatusCallback"].removeprefix(PUBLIC_URL)

    sqlite_sms.twilio_post(callback, {"MessageSid": "SM1", "MessageStatus": "delivered", "To": ALICE})

    timeline = sqlite_sms.client.get("/api/incidents/1", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert timeline.json()["timeline"][-1]["kind"] == "DeliveryReported"


def test_invalid_number_falls_through_to_email_and_says_so_on_the_timeline(sms: SmsHarness) -> None:
    sms.twilio.answer_next(Answer(400, 21211))

    paged(sms, "billing").advance()

    timeline = sms.client.get("/api/incidents/1", headers={"Authorization": f"Bearer {API_TOKEN}"})
    kinds = [entry["kind"] for entry in timeline.json()["timeline"]]
    assert ([m["To"] for m in sms.smtp.mails], "FellThrough" in kinds) == (["dave@example.com"], True)


def test_twilio_webhooks_answer_503_while_twilio_is_not_configured(sqlite_harness: Harness) -> None:
    answer = sqlite_harness.client.post(
        "/twilio/sms", data={"MessageSid": "SM1", "From": ALICE, "Body": "1A"}
    )

    assert (answer.status_code, "PAGER_PUBLIC_URL" in answer.json()["error"]) == (503, True)


def test_reply_with_blank_fields_is_accepted_when_signed_with_them(sqlite_sms: SmsHarness) -> None:
    paged(sqlite_sms, "payments")
    fields = {"MessageSid": "SM1", "From": ALICE, "Body": "1A", "FromCity": "", "NumMedia": "0"}

    answer = sqlite_sms.twilio_post("/twilio/sms", fields)

    assert (answer.status_code, sqlite_sms.incident_state(1)) == (200, "acknowledged")
