"""TwilioVoiceCaller against the fake Twilio Calls API over real HTTP, and the fake's own Calls rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from twilio.rest import Client

from adapters.twilio_voice import TwilioVoiceCaller
from domain.delivery_ports import Page, PageItem
from domain.errors import SendFailed
from domain.model import Channel, IncidentId, PersonId, ServiceId
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Answer, FakeTwilio, running_fake_twilio

TO, FROM = "+33612345678", "+15005550006"
PUBLIC_URL = "https://pager.example.com"


def item(incident: int, summary: str = "DB down") -> PageItem:
    return PageItem(IncidentId(incident), ServiceId("payments"), "Payments API", summary, level=1, round=0)


def page(*items: PageItem) -> Page:
    return Page(Channel.VOICE, TO, items or (item(12),))


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


def caller(fake: FakeTwilio, public_url: str | None = PUBLIC_URL) -> TwilioVoiceCaller:
    return TwilioVoiceCaller(
        ACCOUNT_SID, AUTH_TOKEN, from_number=FROM, callee=lambda _: PersonId("alice"),
        api_url=fake.url, public_url=public_url, language="fr-FR", backoff=0.01,
    )  # fmt: skip


def refusal(fake: FakeTwilio, **form: str) -> tuple[int, object]:
    url = f"{fake.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    answer = requests.post(url, data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    return answer.status_code, answer.json()["code"]


def test_public_call_asks_the_pager_what_to_say_for_the_person_and_steps(twilio: FakeTwilio) -> None:
    caller(twilio).send(page(item(12), item(13)))

    [call] = twilio.calls
    assert (call["Url"], call["Method"], "Twiml" in call) == (
        f"{PUBLIC_URL}/twilio/voice?steps=12.1.0-13.1.0&person=alice",
        "POST",
        False,
    )


def test_without_a_public_url_the_call_only_reads_the_page(twilio: FakeTwilio) -> None:
    caller(twilio, public_url=None).send(page())

    [call] = twilio.calls
    assert (
        "Url" in call,
        "<Gather" in call["Twiml"],
        call["Twiml"].count("Incident 12, Payments API: DB down."),
    ) == (
        False,
        False,
        2,
    )
    assert '<Say language="fr-FR">' in call["Twiml"]


def test_a_huge_bundle_read_inline_stays_within_twilios_twiml_limit(twilio: FakeTwilio) -> None:
    caller(twilio, public_url=None).send(page(*(item(n, "\x07 disk full " * 40) for n in range(1, 200))))

    [call] = twilio.calls
    assert (len(call["Twiml"]) <= 4000, "more." in call["Twiml"], "\x07" in call["Twiml"]) == (
        True,
        True,
        False,
    )


def test_an_invalid_number_is_a_permanent_failure(twilio: FakeTwilio) -> None:
    with pytest.raises(SendFailed) as failed:
        caller(twilio).send(Page(Channel.VOICE, "0612345678", (item(12),)))

    assert (failed.value.permanent, "21217" in failed.value.reason) == (True, True)


def test_twilio_failing_then_accepting_places_exactly_one_call(twilio: FakeTwilio) -> None:
    twilio.answer_next(Answer(503))

    caller(twilio).send(page())

    assert (twilio.attempts, len(twilio.calls)) == (2, 1)


def test_twilio_down_is_a_retryable_failure(twilio: FakeTwilio) -> None:
    twilio.start_outage(Answer(500))

    with pytest.raises(SendFailed) as failed:
        caller(twilio).send(page())

    assert failed.value.permanent is False


def test_fake_calls_api_refuses_wrong_credentials(twilio: FakeTwilio) -> None:
    url = f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
    answer = requests.post(
        url, data={"To": TO, "From": FROM, "Url": PUBLIC_URL}, auth=(ACCOUNT_SID, "x"), timeout=5
    )

    assert (answer.status_code, answer.json()["code"]) == (401, 20003)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"From": FROM, "Url": PUBLIC_URL}, 21201),
        ({"To": "0612345678", "From": FROM, "Url": PUBLIC_URL}, 21217),
        ({"To": TO, "Url": PUBLIC_URL}, 21213),
        ({"To": TO, "From": FROM}, 21200),
        ({"To": TO, "From": FROM, "Url": PUBLIC_URL, "Twiml": "<Response/>"}, 21200),
        ({"To": TO, "From": FROM, "Url": "/relative"}, 21200),
        ({"To": TO, "From": FROM, "Twiml": "<Response>" + "x" * 4000 + "</Response>"}, 32018),
        ({"To": TO, "From": FROM, "Url": PUBLIC_URL, "StatusCallback": "not a url"}, 21609),
    ],
)
def test_fake_calls_api_refuses_what_twilio_refuses(
    twilio: FakeTwilio, params: dict[str, str], code: int
) -> None:
    assert refusal(twilio, **params) == (400, code)


def test_fake_calls_api_answers_a_call_resource(twilio: FakeTwilio) -> None:
    sdk = Client(ACCOUNT_SID, AUTH_TOKEN)
    sdk.api.base_url = twilio.url

    call = sdk.calls.create(to=TO, from_=FROM, twiml="<Response><Say>hi</Say></Response>")

    assert (call.sid, call.status, call.to) == ("CA" + "0" * 31 + "1", "queued", TO)
