"""The voice notifier: a phone call through Twilio's Calls API that reads the page and takes a key press."""

from __future__ import annotations

from collections.abc import Callable

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from adapters.retrying import with_retries
from adapters.twilio_sms import twilio_failure
from adapters.voice_script import call_query, page_speech, read_only_twiml
from domain.delivery_ports import Page
from domain.errors import SendFailed
from domain.model import PersonId

VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/voice/status"


class TwilioVoiceCaller:
    """Implements the Notifier port for Channel.VOICE.

    With `public_url`, the call fetches what to say from `{public_url}/twilio/voice?steps=...&person=...`
    (which then takes the key press) once Twilio's machine detection has told a person from a voicemail,
    and reports how it ended to `{public_url}/twilio/voice/status?...`; `callee` says whose number was
    called, so that only that person can act through the call. Without it, the call carries TwiML that
    reads the page twice and hangs up: nothing to detect, nothing to press.
    `send` returns once Twilio accepted the call: whether it is answered comes later, by the callbacks.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str,
        callee: Callable[[str], PersonId | None] = lambda _: None,
        api_url: str | None = None,
        public_url: str | None = None,
        language: str = "en-US",
        attempts: int = 3,
        backoff: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        # The SDK sets no timeout of its own: a stalled connection would hold the relay forever.
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_url:
            self._client.api.base_url = api_url.rstrip("/")
        self._from, self._callee, self._language = from_number, callee, language
        self._public_url = public_url.rstrip("/") if public_url else None
        self._attempts, self._backoff = attempts, backoff

    def send(self, page: Page) -> None:
        """One call to `page.address` listing every incident of the page; 429, 5xx and timeouts are
        retried a few times before the call is placed, then reported retryable; an invalid number, a
        region not enabled or bad credentials are reported permanent."""
        with_retries(lambda: self._create(page), self._attempts, self._backoff)

    def _create(self, page: Page) -> str:
        try:
            call = self._client.calls.create(to=page.address, from_=self._from, **self._instructions(page))
        except TwilioRestException as exc:
            raise twilio_failure(exc) from exc
        except requests.RequestException as exc:
            raise SendFailed(f"Twilio unreachable: {type(exc).__name__}", permanent=False) from exc
        return str(call.sid)

    def _instructions(self, page: Page) -> dict[str, object]:
        if self._public_url is None:
            return {"twiml": read_only_twiml(page_speech(page.items), self._language)}
        steps = [(int(i.incident_id), i.level, i.round) for i in page.items]
        query = call_query(steps, self._callee(page.address))
        return {
            "url": f"{self._public_url}{VOICE_PATH}?{query}",
            "method": "POST",
            "status_callback": f"{self._public_url}{STATUS_PATH}?{query}",
            "status_callback_method": "POST",
            # Sync detection: the answer URL is asked only once Twilio knows who answered (AnsweredBy).
            "machine_detection": "Enable",
        }
