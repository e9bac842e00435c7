"""The fake Twilio API refuses what Twilio's Messages API refuses, as the official SDK sees it, and counts
segments as Twilio's docs do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Answer, FakeTwilio, running_fake_twilio
from tests.twilio_segments import assert_tables_complete, num_segments

TO, FROM = "+33612345678", "+15005550006"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with running_fake_twilio() as fake:
        yield fake


def client(fake: FakeTwilio, sid: str = ACCOUNT_SID, token: str = AUTH_TOKEN) -> Client:
    sdk = Client(sid, token)
    sdk.api.base_url = fake.url
    return sdk


def refusal(fake: FakeTwilio, **params: str) -> tuple[int, object]:
    """(HTTP status, Twilio code) the SDK raises for a create with these parameters."""
    with pytest.raises(TwilioRestException) as refused:
        client(fake).messages.create(**params)
    return refused.value.status, refused.value.code


def post(fake: FakeTwilio, form: dict[str, str]) -> requests.Response:
    url = f"{fake.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    return requests.post(url, data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)


def test_a_wrong_auth_token_is_refused_with_401_and_error_20003(twilio: FakeTwilio) -> None:
    with pytest.raises(TwilioRestException) as refused:
        client(twilio, token="wrong").messages.create(to=TO, from_=FROM, body="hi")

    assert (refused.value.status, refused.value.code, twilio.messages) == (401, 20003, [])


def test_credentials_of_another_account_than_the_one_in_the_path_are_refused(twilio: FakeTwilio) -> None:
    url = f"{twilio.url}/2010-04-01/Accounts/AC{'1' * 32}/Messages.json"
    form = {"To": TO, "From": FROM, "Body": "hi"}
    answer = requests.post(url, data=form, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)

    assert (answer.status_code, answer.json()["code"]) == (401, 20003)


def test_a_post_without_credentials_is_refused_in_twilios_error_shape(twilio: FakeTwilio) -> None:
    url = f"{twilio.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    answer = requests.post(url, data={"To": TO, "From": FROM, "Body": "hi"}, timeout=5)

    assert answer.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": FROM, "Body": "hi"}, 21604),
        ({"To": "0612345678", "From": FROM, "Body": "hi"}, 21211),
        ({"To": "+33 6 12 34 56 78", "From": FROM, "Body": "hi"}, 21211),
        ({"To": "+1234567890123456", "From": FROM, "Body": "hi"}, 21211),
        ({"To": FROM, "From": FROM, "Body": "hi"}, 21211),
        ({"To": TO, "Body": "hi"}, 21603),
        ({"To": TO, "From": FROM}, 21602),
        ({"To": TO, "From": FROM, "Body": ""}, 21602),
        ({"To": TO, "From": FROM, "Body": "x" * 1601}, 21617),
        ({"To": TO, "From": FROM, "Body": "😀" * 801}, 21617),
        ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "/twilio/status"}, 21609),
        ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "ftp://pager.example.com/s"}, 21609),
        ({"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "https://my_pager.example.com/s"}, 21609),
        (
            {"To": TO, "From": FROM, "Body": "hi", "StatusCallback": "https://p.example.com/" + "s" * 4000},
            21609,
        ),
    ],
)
def test_a_post_breaking_a_rule_is_refused_with_400_and_twilios_code(
    twilio: FakeTwilio, form: dict[str, str], code: int
) -> None:
    answer = post(twilio, form)

    assert (answer.status_code, answer.json()["code"], twilio.messages) == (400, code, [])


def test_the_sdk_raises_the_refusals_code(twilio: FakeTwilio) -> None:
    assert refusal(twilio, to="+33 6 12", from_=FROM, body="hi") == (400, 21211)


def test_a_body_of_exactly_1600_characters_is_accepted(twilio: FakeTwilio) -> None:
    assert (post(twilio, {"To": TO, "From": FROM, "Body": "x" * 1600}).status_code, twilio.segments) == (
        201,
        [11],
    )


def test_an_accepted_message_answers_the_message_resource_with_num_segments_as_a_string(
    twilio: FakeTwilio,
) -> None:
    message = client(twilio).messages.create(to=TO, from_=FROM, body="a" * 161)

    assert (message.num_segments, message.status, message.to, message.from_) == ("2", "queued", TO, FROM)
    assert (message.sid.startswith("SM"), message.account_sid, twilio.segments) == (True, ACCOUNT_SID, [2])


def test_through_a_messaging_service_alone_num_segments_is_zero_at_first(twilio: FakeTwilio) -> None:
    message = client(twilio).messages.create(to=TO, messaging_service_sid="MG" + "1" * 32, body="hi")

    assert (message.num_segments, message.status, twilio.segments) == ("0", "accepted", [1])


def test_scripted_answers_still_come_before_the_checks(twilio: FakeTwilio) -> None:
    twilio.answer_next(Answer(429, 20429))

    assert (refusal(twilio, to=TO, from_=FROM, body="hi"), twilio.codes()) == ((429, 20429), [20429])


def test_the_gsm_tables_hold_every_character_of_gsm_03_38() -> None:
    assert_tables_complete()


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character is two septets
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but the escape pair may not straddle two segments
        ("a" * 152 + "😀", 3),  # "152 GSM-7 characters and a single unicode character ... 3 messages"
        ("数" * 70, 1),
        ("数" * 71, 2),
        ("😀" * 35, 1),  # 70 UTF-16 code units
        ("😀" * 36, 2),
        ("a" * 66 + "😀" + "a" * 66, 3),  # 134 units, but a surrogate pair may not straddle two segments
        ("é" * 160, 1),  # é is in the GSM-7 alphabet
        ("ê" * 70, 1),  # ê is not
    ],
)
def test_segments_are_counted_as_twilio_documents(body: str, segments: int) -> None:
    assert num_segments(body) == segments
