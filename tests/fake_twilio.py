"""A fake Twilio REST API: a real HTTP server on 127.0.0.1 that checks Messages.json and Calls.json posts
as Twilio does.

It refuses what Twilio refuses (bad credentials, a missing or malformed parameter, a body over 1,600
characters) in Twilio's JSON error shape, records what it accepts with the segments Twilio would bill, and can
be told to fail.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from tests.local_http import served
from tests.twilio_segments import num_segments

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-auth-token-0123456789"

_MESSAGES_PATH = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")
_CALLS_PATH = re.compile(r"/2010-04-01/Accounts/([^/]+)/Calls\.json")
# "+", a country code that does not start with 0, at most 15 digits: https://www.twilio.com/docs/glossary/what-e164
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# "The Body parameter for an outgoing message can be up to 1,600 characters", emoji counting more than one:
# https://www.twilio.com/docs/api/errors/21617 (counted here in UTF-16 code units, an emoji being two)
MAX_BODY = 1600
# A fully qualified http(s) URL, a hostname without underscores, at most 4000 characters:
# https://www.twilio.com/docs/api/errors/21609
_MAX_CALLBACK = 4000

Answered = tuple[int, dict[str, object], float]
F = TypeVar("F", bound="FakeTwilio")


@dataclass
class Answer:
    status: int
    code: int | None = None
    delay: float = 0.0


def error_body(status: int, code: int | None, message: str) -> dict[str, object]:
    """Twilio's error shape, which the SDK turns into TwilioRestException(status, code):
    https://www.twilio.com/docs/usage/twilios-response and e.g. https://www.twilio.com/docs/errors/20003"""
    more_info = f"https://www.twilio.com/docs/errors/{code}" if code else None
    return {"code": code, "message": message, "more_info": more_info, "status": status}


def _callback_is_valid(url: str) -> bool:
    parts = urlsplit(url)
    return (
        len(url) <= _MAX_CALLBACK
        and parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "_" not in (parts.hostname or "")
    )


def broken_rule(form: dict[str, str]) -> tuple[int, str] | None:
    """The Twilio error code and message a Messages.json post with these parameters gets, if it breaks a rule.

    Parameters (To, From, MessagingServiceSid, Body, StatusCallback):
    https://www.twilio.com/docs/messaging/api/message-resource
    """
    to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
    if not to:  # https://www.twilio.com/docs/errors/21604
        return 21604, "A 'To' phone number is required."
    if not _E164.fullmatch(to) or to == sender:  # https://www.twilio.com/docs/api/errors/21211
        return 21211, f"The 'To' number {to} is not a valid phone number."
    if not (sender or form.get("MessagingServiceSid")):  # https://www.twilio.com/docs/errors/21603
        return 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."
    if not body:  # https://www.twilio.com/docs/errors/21602
        return 21602, "Message body is required."
    if len(body.encode("utf-16-le")) // 2 > MAX_BODY:  # https://www.twilio.com/docs/api/errors/21617
        return 21617, "The concatenated message body exceeds the 1600 character limit."
    callback = form.get("StatusCallback")
    if callback is not None and not _callback_is_valid(
        callback
    ):  # https://www.twilio.com/docs/api/errors/21609
        return 21609, f"The StatusCallback URL {callback} is not a valid URL."
    return None


@dataclass
class FakeTwilio:
    url: str = ""
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict[str, str]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)  # every Calls.json post accepted, in order
    segments: list[int] = field(default_factory=list)  # num_segments of each of `messages`, as Twilio bills
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each of `messages`
    refused: list[dict[str, object]] = field(default_factory=list)  # every error body answered, in order
    attempts: int = 0
    script: list[Answer] = field(default_factory=list)
    outage: Answer | None = None
    stalled: int = 0  # requests being held right now by an answer with a delay
    lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)

    def answer_next(self, *answers: Answer) -> None:
        """The next authenticated posts get these answers, in order; after them posts are checked as usual."""
        with self.lock:
            self.script.extend(answers)

    def start_outage(self, answer: Answer) -> None:
        """Every authenticated post gets `answer` (once the script is used up) until `end_outage`."""
        with self.lock:
            self.outage = answer

    def end_outage(self) -> None:
        """Back to normal; requests being held are answered (with the outage's error) now."""
        with self.lock:
            self.outage = None
            self._released.set()
            self._released = threading.Event()

    def stall(self, seconds: float) -> None:
        """Hold a request this long: a provider that hangs, for the sender's timeout."""
        with self.lock:
            self.stalled += 1
            released = self._released
        try:
            released.wait(seconds)
        finally:
            with self.lock:
                self.stalled -= 1

    def bodies(self) -> list[str]:
        return [m["Body"] for m in self.messages]

    def codes(self) -> list[object]:
        """The Twilio error code of each refusal so far."""
        return [r["code"] for r in self.refused]

    def _answer(self, path: str, authorization: str | None, form: dict[str, str]) -> Answered:
        if not (_MESSAGES_PATH.fullmatch(path) or _CALLS_PATH.fullmatch(path)):  # the list resources served
            return self._refuse(404, 20404, f"The requested resource {path} was not found")
        if not self._authenticated(path, authorization):
            # HTTP Basic auth, Account SID and Auth Token: https://www.twilio.com/docs/errors/20003
            return self._refuse(401, 20003, "Authenticate")
        return self._handle(path, form)

    def _authenticated(self, path: str, authorization: str | None) -> bool:
        scheme, _, encoded = (authorization or "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        match = _MESSAGES_PATH.fullmatch(path) or _CALLS_PATH.fullmatch(path)
        in_path = match.group(1) if match else None
        return scheme == "Basic" and user == self.account_sid == in_path and password == self.auth_token

    def _refuse(self, status: int, code: int | None, message: str, delay: float = 0.0) -> Answered:
        body = error_body(status, code, message)
        with self.lock:
            self.attempts += 1
            self.refused.append(body)
        return status, body, delay

    def _handle(self, path: str, form: dict[str, str]) -> Answered:
        """An authenticated post to Messages.json: the scripted answer if any, else Twilio's checks."""
        with self.lock:
            answer = self.script.pop(0) if self.script else self.outage
        if answer is not None and answer.status != 201:
            return self._refuse(answer.status, answer.code, f"fake error {answer.code}", answer.delay)
        if _CALLS_PATH.fullmatch(path):
            return self._call(form)
        broken = broken_rule(form)
        if broken is not None:
            return self._refuse(400, *broken)
        with self.lock:
            self.attempts += 1
            self.messages.append(form)
            self.segments.append(num_segments(form["Body"]))
            self.accepted_at.append(time.monotonic())
            number = len(self.messages)
        return 201, self._resource(form, number), 0.0

    def _call(self, form: dict[str, str]) -> Answered:
        from tests.fake_twilio_calls import broken_call_rule, call_resource  # it reads this module's rules

        broken = broken_call_rule(form)
        if broken is not None:
            return self._refuse(400, *broken)
        with self.lock:
            self.attempts += 1
            self.calls.append(form)
            number = len(self.calls)
        return 201, call_resource(self.account_sid, form, number), 0.0

    def _resource(self, form: dict[str, str], number: int) -> dict[str, object]:
        """The Message resource Twilio answers a create with: https://www.twilio.com/docs/messaging/api/message-resource
        Through a Messaging Service alone, no sender is assigned yet: status "accepted", num_segments "0"."""
        sid = f"SM{number:032x}"
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        sender = form.get("From")
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": str(num_segments(form["Body"])) if sender else "0",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if sender else "accepted",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": form["To"],
            "uri": uri,
        }


def _form(content_type: str | None, raw: bytes) -> dict[str, str]:
    # Anything but a urlencoded form reads as no parameters at all: https://www.twilio.com/docs/errors/21604
    if not (content_type or "").startswith("application/x-www-form-urlencoded"):
        return {}
    return {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = _form(self.headers.get("Content-Type"), raw)
            status, body, delay = fake._answer(self.path, self.headers.get("Authorization"), form)
            if delay:
                fake.stall(delay)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up on a stalled answer, as it should

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_fake_twilio(account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> Iterator[FakeTwilio]:
    """A fake Twilio that accepts only these credentials."""
    with serving(FakeTwilio(account_sid=account_sid, auth_token=auth_token)) as fake:
        yield fake


@contextmanager
def serving(fake: F) -> Iterator[F]:
    """`fake` (a FakeTwilio or a subclass) behind a real HTTP server on a free port."""
    with served(_handler(fake)) as url:
        fake.url = url
        yield fake
