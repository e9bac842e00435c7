"""Requests the fuzzer found answered with 500, each pinned down: now a 4xx saying why, or an answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from domain.model import IncidentId
from tests.e2e.fuzz_harness import FuzzApp, running_fuzz_app

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def fz(sqlite_url: str, tmp_path: Path) -> Iterator[FuzzApp]:
    yield from running_fuzz_app(sqlite_url, tmp_path)


@pytest.fixture
def on_each_db(database_url: str, tmp_path: Path) -> Iterator[FuzzApp]:
    yield from running_fuzz_app(database_url, tmp_path)


def test_a_nul_character_in_an_alert_is_kept_as_a_replacement_character(on_each_db: FuzzApp) -> None:
    alert = {"summary": "disk\x00full", "dedup_key": "k\x00", "details": {"a\x00": "b\x00"}}

    response = on_each_db.send("POST", "/webhooks/generic", json.dumps(alert).encode(), "application/json")

    assert response.status_code == 202
    assert on_each_db.runtime.queries.incident(IncidentId(1)).incident.summary == "disk\ufffdfull"


def test_a_nul_character_in_a_twilio_message_sid_is_answered(on_each_db: FuzzApp) -> None:
    reply = {"MessageSid": "SM1\x00", "From": "+33612345678", "Body": "AA"}

    response = on_each_db.send("POST", "/twilio/sms", urlencode(reply).encode(), FORM)

    assert (response.status_code, "<Message>" in response.text) == (200, True)


def test_an_incident_id_too_large_for_the_database_is_not_found(fz: FuzzApp) -> None:
    response = fz.send("GET", f"/api/incidents/{2**64}")

    assert (response.status_code, response.json()["error"]) == (404, f"incident {2**64} does not exist")


def test_acknowledging_with_a_body_that_is_not_utf8_is_refused_in_the_error_shape(fz: FuzzApp) -> None:
    response = fz.send("POST", "/api/incidents/1/acknowledge", b"\xc3\xa9\xff", "application/json")

    assert response.status_code == 400
    assert response.json()["error"]


def test_acknowledging_with_malformed_json_names_the_body_not_an_offset(fz: FuzzApp) -> None:
    response = fz.send("POST", "/api/incidents/1/acknowledge", b'{"by": ', "application/json")

    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "(body)")


def test_an_unknown_path_answers_404_in_the_error_shape(fz: FuzzApp) -> None:
    response = fz.send("GET", "/no/such/page")

    assert (response.status_code, response.json()["error"]) == (404, "Not Found")


def test_oncall_with_no_handoffs_asked_lists_none(fz: FuzzApp) -> None:
    response = fz.send("GET", "/api/oncall", query={"handoffs": 0})

    assert (response.status_code, response.json()[0]["next_handoffs"]) == (200, [])


def test_oncall_at_an_instant_before_year_one_in_utc_is_refused_naming_the_field(fz: FuzzApp) -> None:
    response = fz.send("GET", "/api/oncall", query={"at": "0001-01-01T00:00:00+01:00"})

    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "at")


def test_oncall_at_the_end_of_time_answers_without_later_handoffs(fz: FuzzApp) -> None:
    response = fz.send("GET", "/api/oncall", query={"at": "9999-12-31T23:00:00Z"})

    assert response.status_code == 200
    assert response.json()[0]["person"] in ("alice", "bob")


@pytest.mark.parametrize(
    "body",
    [b"payload=not-json", b"payload=%5B1%5D", b"[1]", b'"text"'],
)
def test_a_signed_slack_body_bolt_cannot_read_is_refused_with_400(fz: FuzzApp, body: bytes) -> None:
    content_type = FORM if body.startswith(b"payload") else "application/json"

    response = fz.send("POST", "/slack/events", body, content_type)

    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "(body)")


def test_a_slack_command_whose_answer_cannot_be_delivered_still_acts_and_answers_200(fz: FuzzApp) -> None:
    fz.send("POST", "/webhooks/generic", b'{"summary": "DB down"}', "application/json")
    unreachable = "http://127.0.0.1:9/respond"
    command = {"command": "/pager", "text": "ack 1", "user_id": "U0ALICE", "response_url": unreachable}

    response = fz.send("POST", "/slack/events", urlencode(command).encode(), FORM)

    assert response.status_code == 200
    assert fz.runtime.queries.incident(IncidentId(1)).incident.state == "acknowledged"


def test_a_status_callback_for_steps_too_large_for_the_database_changes_nothing(fz: FuzzApp) -> None:
    body = b"MessageSid=SM1&MessageStatus=undelivered&To=%2B33612345678"
    before = fz.rows()

    response = fz.send("POST", "/twilio/status", body, FORM, query={"steps": f"{2**64}.1.0"})

    assert (response.status_code, fz.rows()) == (204, before)


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/status"])
def test_a_twilio_form_over_one_mebibyte_is_refused_with_413(fz: FuzzApp, path: str) -> None:
    body = b"MessageSid=SM1&From=%2B33612345678&Body=" + b"a" * (1024 * 1024)

    response = fz.send("POST", path, body, FORM)

    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


def test_a_twilio_form_streamed_past_one_mebibyte_without_a_length_is_refused_with_413(fz: FuzzApp) -> None:
    chunks = (b"Body=" + b"a" * 65536 for _ in range(20))

    response = fz.client.post("/twilio/sms", content=chunks, headers={"Content-Type": FORM})

    assert (response.status_code, "content-length" in response.request.headers) == (413, False)
