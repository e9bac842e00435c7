"""TwilioSmsSender against a fake Twilio REST API served over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.twilio_sms import TwilioSmsSender
from domain.delivery_ports import Page, PageItem
from domain.errors import SendFailed
from domain.model import Channel, IncidentId, ServiceId
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Answer, FakeTwilio, running_fake_twilio

TO = "+33612345678"


def item(incident: int, service: str = "payments", summary: str = "DB down") -> PageItem:
    return PageItem(IncidentId(incident), ServiceId(service), service.title(), summary, level=1, round=0)


def page(*items: PageItem) -> Page:
    return Page(Channel.SMS, TO, items or (item(12),))


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


def sender(fake: FakeTwilio, **options: object) -> TwilioSmsSender:
    settings: dict[str, object] = {"from_number": "+15005550006", "api_url": fake.url, "backoff": 0.01}
    return TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, **(settings | options))  # type: ignore[arg-type]


def test_sms_goes_to_the_address_from_the_configured_number(twilio: FakeTwilio) -> None:
    sender(twilio).send(page())

    assert [(m["To"], m["From"]) for m in twilio.messages] == [(TO, "+15005550006")]


def test_sms_names_the_incident_service_summary_and_how_to_reply(twilio: FakeTwilio) -> None:
    sender(twilio).send(page())

    assert twilio.bodies() == ["PAGER #12 payments: DB down\nReply 12A to ack, 12R to resolve"]


def test_bundled_sms_lists_every_incident_and_the_ack_all_reply(twilio: FakeTwilio) -> None:
    sender(twilio).send(page(item(12), item(13, "search", "slow queries")))

    assert twilio.bodies() == [
        "PAGER 2 incidents:\n#12 payments: DB down\n#13 search: slow queries\n"
        "Reply AA to ack all, or 12A / 12R for one"
    ]


def test_long_summary_is_shortened_to_fit_one_segment(twilio: FakeTwilio) -> None:
    sender(twilio).send(page(item(12, summary="x" * 300)))

    assert len(twilio.bodies()[0]) == 160


def test_messaging_service_is_used_when_there_is_no_from_number(twilio: FakeTwilio) -> None:
    sender(twilio, from_number=None, messaging_service_sid="MG" + "1" * 32).send(page())

    assert twilio.messages[0]["MessagingServiceSid"] == "MG" + "1" * 32


def test_status_callback_names_the_incident_steps(twilio: FakeTwilio) -> None:
    sender(twilio, public_url="https://pager.example.com/").send(page(item(12), item(13)))

    assert (
        twilio.messages[0]["StatusCallback"] == "https://pager.example.com/twilio/status?steps=12.1.0-13.1.0"
    )


def test_server_errors_are_retried_until_one_sms_is_accepted(twilio: FakeTwilio) -> None:
    twilio.answer_next(Answer(500), Answer(500))

    sender(twilio).send(page())

    assert (twilio.attempts, len(twilio.messages)) == (3, 1)


def test_too_many_requests_is_retried(twilio: FakeTwilio) -> None:
    twilio.answer_next(Answer(429, 20429))

    sender(twilio).send(page())

    assert len(twilio.messages) == 1


def test_outage_beyond_the_attempts_is_reported_retryable(twilio: FakeTwilio) -> None:
    twilio.answer_next(Answer(503), Answer(503), Answer(503))

    with pytest.raises(SendFailed) as failed:
        sender(twilio).send(page())
    assert failed.value.permanent is False


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, 20003),  # bad credentials
        (400, 21211),  # invalid To
        (400, 21408),  # region not enabled
        (400, 21602),  # no body
        (400, 21603),  # no sender
        (400, 21604),  # no To
        (400, 21606),  # From cannot send there
        (400, 21610),  # recipient unsubscribed
        (400, 21612),  # route not reachable
        (400, 21614),  # not a mobile number
        (400, 21617),  # body over 1,600 characters
        (404, 20404),  # any other 4xx
        (403, 20403),
    ],
)
def test_a_refusal_no_retry_can_fix_is_reported_permanent_without_retry_naming_the_code(
    twilio: FakeTwilio, status: int, code: int
) -> None:
    twilio.answer_next(Answer(status, code))

    with pytest.raises(SendFailed) as failed:
        sender(twilio).send(page())
    assert (failed.value.permanent, twilio.attempts, f"error {code}" in failed.value.reason) == (
        True,
        1,
        True,
    )


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (502, None), (503, 20503)])
def test_too_many_requests_and_server_errors_are_retried_then_reported_retryable(
    twilio: FakeTwilio, status: int, code: int | None
) -> None:
    twilio.answer_next(*[Answer(status, code)] * 3)

    with pytest.raises(SendFailed) as failed:
        sender(twilio).send(page())
    assert (failed.value.permanent, twilio.attempts, f"Twilio {status}" in failed.value.reason) == (
        False,
        3,
        True,
    )


def test_a_wrong_auth_token_is_refused_by_twilio_and_reported_permanent_without_retry(
    twilio: FakeTwilio,
) -> None:
    wrong = TwilioSmsSender(ACCOUNT_SID, "not-the-token", from_number="+15005550006", api_url=twilio.url)

    with pytest.raises(SendFailed) as failed:
        wrong.send(page())
    assert (failed.value.permanent, twilio.attempts, "Twilio 401 error 20003" in failed.value.reason) == (
        True,
        1,
        True,
    )


def test_an_invalid_number_is_refused_by_twilio_and_reported_permanent(twilio: FakeTwilio) -> None:
    with pytest.raises(SendFailed) as failed:
        sender(twilio).send(Page(Channel.SMS, "06 12 34 56 78", (item(12),)))
    assert (failed.value.permanent, twilio.codes()) == (True, [21211])


def test_unreachable_twilio_is_reported_retryable() -> None:
    with running_fake_twilio() as gone:
        url = gone.url

    with pytest.raises(SendFailed) as failed:
        sender(FakeTwilio(url=url), attempts=2).send(page())
    assert (failed.value.permanent, "unreachable" in failed.value.reason) == (False, True)


@pytest.mark.parametrize("summary", ["🔥 disk full on db-1, db-2 and db-3 " * 4, "{json: [1]} ~^| €" * 12])
def test_a_long_summary_from_a_monitor_goes_out_as_one_segment(twilio: FakeTwilio, summary: str) -> None:
    sender(twilio).send(page(item(12, summary=summary)))

    assert twilio.segments == [1]


def test_a_bundle_of_200_incidents_is_accepted_by_twilio(twilio: FakeTwilio) -> None:
    bundle = page(*[item(n, summary="disk full on a very busy host") for n in range(1000, 1200)])

    sender(twilio).send(bundle)

    assert (len(twilio.messages), twilio.bodies()[0].splitlines()[-1]) == (
        1,
        "Reply AA to ack all, or 1000A / 1000R for one",
    )


def test_the_status_callback_of_a_huge_bundle_stays_within_twilios_limit(twilio: FakeTwilio) -> None:
    bundle = page(*[item(n) for n in range(100000, 100500)])

    sender(twilio, public_url="https://pager.example.com").send(bundle)

    callback = twilio.messages[0]["StatusCallback"]
    assert (len(callback) <= 4000, callback.split("steps=")[1].split("-")[0]) == (True, "100000.1.0")


def test_stalled_api_times_out_and_is_reported_retryable(twilio: FakeTwilio) -> None:
    twilio.answer_next(*[Answer(500, delay=0.5)] * 2)

    with pytest.raises(SendFailed) as failed:
        sender(twilio, timeout=0.2, attempts=2).send(page())
    assert (failed.value.permanent, "unreachable" in failed.value.reason) == (False, True)


def test_failure_reason_never_contains_the_auth_token(twilio: FakeTwilio) -> None:
    twilio.answer_next(Answer(400, 21211))

    with pytest.raises(SendFailed) as failed:
        sender(twilio).send(page())
    assert AUTH_TOKEN not in failed.value.reason


def test_no_status_callback_is_asked_for_without_a_public_url(twilio: FakeTwilio) -> None:
    sender(twilio).send(page())

    assert "StatusCallback" not in twilio.messages[0]
