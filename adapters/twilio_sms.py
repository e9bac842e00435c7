"""The SMS notifier over Twilio's REST API, with short retries and Twilio errors mapped to the port's."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from adapters.retrying import with_retries
from adapters.sms_text import sms_text
from domain.delivery_ports import Page
from domain.errors import SendFailed

# Retryable: 429 / 20429 (too many requests), any 5xx, and no answer at all (connection error, timeout).
# Every other 4xx is permanent, as no retry of the same request can fix it: among others 20003 (credentials,
# https://www.twilio.com/docs/errors/20003), 21211 (invalid To), 21408 (region not enabled), 21602 (no body),
# 21603 (no sender), 21604 (no To), 21606 (From cannot send there), 21610 (recipient unsubscribed),
# 21612 (route not reachable), 21614 (not a mobile), 21617 (body over 1,600 characters).
_RETRYABLE_CODES = frozenset({20429})
# A StatusCallback URL is at most 4000 characters (https://www.twilio.com/docs/api/errors/21609): a big bundle
# names only the incidents that fit rather than lose the page to error 21609.
_MAX_CALLBACK = 4000


def status_callback(public_url: str, page: Page) -> str:
    """`{public_url}/twilio/status?steps=...`: the page's (incident, level, round) triples, as many as fit."""
    url = f"{public_url}/twilio/status?steps="
    steps: list[str] = []
    length = len(url) - 1  # the first step has no "-" before it
    for item in page.items:
        step = f"{item.incident_id}.{item.level}.{item.round}"
        length += len(step) + 1
        if length > _MAX_CALLBACK:
            break
        steps.append(step)
    return url + "-".join(steps)


class TwilioSmsSender:
    """Implements the Notifier port for Channel.SMS.

    With `public_url`, each message asks Twilio to report its delivery to
    `{public_url}/twilio/status?steps=...`, naming the incidents it paged for.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_url: str | None = None,
        public_url: str | None = None,
        attempts: int = 3,
        backoff: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        if not (from_number or messaging_service_sid):
            raise ValueError("Twilio needs TWILIO_FROM or a messaging service sid to send from")
        # The SDK sets no timeout of its own: a stalled connection would hold the relay forever.
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if api_url:
            self._client.api.base_url = api_url.rstrip("/")
        self._sender = (
            {"from_": from_number} if from_number else {"messaging_service_sid": messaging_service_sid}
        )
        self._public_url = public_url.rstrip("/") if public_url else None
        self._attempts, self._backoff = attempts, backoff

    def send(self, page: Page) -> None:
        """One SMS to `page.address`; 429, 5xx and timeouts are retried a few times, then reported
        retryable; an invalid, unsubscribed or landline number is reported permanent."""
        with_retries(lambda: self._create(page), self._attempts, self._backoff)

    def _create(self, page: Page) -> str:
        options = dict(self._sender)
        if self._public_url:
            options["status_callback"] = status_callback(self._public_url, page)
        try:
            message = self._client.messages.create(to=page.address, body=sms_text(page), **options)
        except TwilioRestException as exc:
            raise twilio_failure(exc) from exc
        except requests.RequestException as exc:
            raise SendFailed(f"Twilio unreachable: {type(exc).__name__}", permanent=False) from exc
        return str(message.sid)


def twilio_failure(exc: TwilioRestException) -> SendFailed:
    """Twilio's refusal as the port's error, naming Twilio's error code (see /docs/errors/<code>)."""
    retryable = exc.status == 429 or exc.status >= 500 or exc.code in _RETRYABLE_CODES
    code = f" error {exc.code}" if exc.code else ""
    return SendFailed(f"Twilio {exc.status}{code}: {exc.msg}", permanent=not retryable)
