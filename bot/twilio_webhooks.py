"""Twilio's webhooks: inbound SMS replies and delivery status callbacks, both signed by Twilio."""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.bootstrap import Runtime
from bot.errors import ApiError
from bot.schemas import FieldError, error_responses
from bot.webhooks import MAX_BODY, read_body, without_nul
from domain.fallthrough import Delivery
from domain.model import Channel, IncidentId

router = APIRouter(prefix="/twilio", tags=["twilio"])
_log = structlog.get_logger("pager.twilio")
# Up to 9 digits each: larger numbers are no step the pager wrote, and would not fit a database integer.
_STEP = re.compile(r"(?<!\d)(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?!\d)")
ERRORS = error_responses(
    {
        403: "X-Twilio-Signature missing or wrong",
        413: f"Body over {MAX_BODY // 1024 // 1024} MiB",
        422: "A required form field is missing (it is named)",
        503: "Twilio is not configured",
    }
)

_SIGNATURE_HEADER = {
    "name": "X-Twilio-Signature",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "Base64 HMAC-SHA1 of the public URL and every form field, keyed with the auth token.",
}


_STEPS_PARAMETER = {
    "name": "steps",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "The pages the SMS carried, `incident.level.round` each, comma-separated; the pager "
    "writes it into the callback URL it gives Twilio.",
}


def form_body(
    description: str, fields: dict[str, str], required: list[str], parameters: Sequence[object] = ()
) -> dict[str, object]:
    """`openapi_extra` for a form Twilio posts: the fields we read; Twilio sends more, all signed."""
    properties = {name: {"type": "string", "description": text} for name, text in fields.items()}
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": True}
    return {
        "parameters": [_SIGNATURE_HEADER, *parameters],
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        },
    }


async def signed_form(request: Request) -> dict[str, str]:
    """The form fields, once `X-Twilio-Signature` is checked against the public URL and every field."""
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    if not (settings.twilio_auth_token and settings.public_url):
        raise ApiError(503, "Twilio webhooks are off: set TWILIO_AUTH_TOKEN and PAGER_PUBLIC_URL")
    fields = parse_form(await read_body(request))
    # Twilio signs the URL it was given, which is the public one, not the one a proxy forwarded to.
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    expected = RequestValidator(settings.twilio_auth_token).compute_signature(url, fields)
    if not signature or not hmac.compare_digest(expected.encode(), signature.encode()):
        reason = "missing" if not signature else f"does not match {url} and the form fields"
        _log.warning("twilio request refused", path=request.url.path, reason=reason)
        raise ApiError(403, "bad Twilio signature", [FieldError(field="X-Twilio-Signature", reason=reason)])
    clean: dict[str, str] = without_nul(fields)
    return clean


def parse_form(body: bytes) -> dict[str, str]:
    """An urlencoded body as Twilio sends it, blank fields kept (they are signed too); a repeated name
    keeps its last value, as Starlette's form parser did."""
    # Raw bytes as Latin-1 never fail to decode; percent-escapes are UTF-8, as Twilio writes them.
    return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


def required(fields: dict[str, str], *names: str) -> list[str]:
    missing = [
        FieldError(field=name, reason="required form field is missing")
        for name in names
        if not fields.get(name)
    ]
    if missing:
        raise ApiError(422, "invalid Twilio request", missing)
    return [fields[name] for name in names]


@router.post(
    "/sms",
    response_class=Response,
    responses={
        200: {
            "description": "TwiML, with a reply message when there is one to send",
            "content": {"application/xml": {"schema": {"type": "string"}}},
        },
        **ERRORS,
    },
    summary="An SMS sent to the pager's number (a reply to a page)",
    openapi_extra=form_body(
        "Twilio's incoming message webhook",
        {"MessageSid": "Twilio's id of the message", "From": "the sender, E.164", "Body": "the reply text"},
        ["MessageSid", "From"],
    ),
)
async def inbound_sms(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    fields = await signed_form(request)
    message_sid, phone = required(fields, "MessageSid", "From")
    assert runtime.sms_replies is not None
    answer = await run_in_threadpool(runtime.sms_replies.on_reply, message_sid, phone, fields.get("Body", ""))
    twiml = MessagingResponse()
    if answer:
        twiml.message(answer)
    return Response(str(twiml), media_type="application/xml")


@router.post(
    "/status",
    status_code=204,
    response_class=Response,
    responses=ERRORS,
    summary="Twilio's report on an SMS it accepted",
    openapi_extra=form_body(
        "Twilio's status callback",
        {
            "MessageSid": "Twilio's id of the message",
            "MessageStatus": "queued, sent, delivered, undelivered, failed ...",
            "To": "the recipient, E.164",
            "ErrorCode": "Twilio's error code when the message failed",
        },
        ["MessageStatus", "To"],
        [_STEPS_PARAMETER],
    ),
)
async def sms_status(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    fields = await signed_form(request)
    status, phone = required(fields, "MessageStatus", "To")
    deliveries = [
        Delivery(IncidentId(int(m[1])), int(m[2]), int(m[3]), Channel.SMS, phone)
        for m in _STEP.finditer(request.query_params.get("steps", ""))
    ]
    assert runtime.deliveries is not None
    await run_in_threadpool(runtime.deliveries.on_status, deliveries, status, fields.get("ErrorCode") or None)
    return Response(status_code=204)
