"""Twilio's webhooks: inbound SMS replies and delivery status callbacks, both signed by Twilio."""

from __future__ import annotations

import hmac
import re

import structlog
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.bootstrap import Runtime
from bot.errors import ApiError
from bot.schemas import ErrorOut, FieldError
from domain.fallthrough import Delivery
from domain.model import Channel, IncidentId

router = APIRouter(prefix="/twilio", tags=["twilio"])
_log = structlog.get_logger("pager.twilio")
_STEP = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorOut, "description": "X-Twilio-Signature missing or wrong"},
    422: {"model": ErrorOut, "description": "A required form field is missing (it is named)"},
    503: {"model": ErrorOut, "description": "Twilio is not configured"},
}


async def signed_form(request: Request) -> dict[str, str]:
    """The form fields, once `X-Twilio-Signature` is checked against the public URL and every field."""
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    if not (settings.twilio_auth_token and settings.public_url):
        raise ApiError(503, "Twilio webhooks are off: set TWILIO_AUTH_TOKEN and PAGER_PUBLIC_URL")
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    # Twilio signs the URL it was given, which is the public one, not the one a proxy forwarded to.
    url = settings.public_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    signature = request.headers.get("x-twilio-signature", "")
    expected = RequestValidator(settings.twilio_auth_token).compute_signature(url, fields)
    if not signature or not hmac.compare_digest(expected.encode(), signature.encode()):
        reason = "missing" if not signature else f"does not match {url} and the form fields"
        _log.warning("twilio request refused", path=request.url.path, reason=reason)
        raise ApiError(403, "bad Twilio signature", [FieldError(field="X-Twilio-Signature", reason=reason)])
    return fields


def required(fields: dict[str, str], *names: str) -> list[str]:
    missing = [
        FieldError(field=name, reason="required form field is missing")
        for name in names
        if not fields.get(name)
    ]
    if missing:
        raise ApiError(422, "invalid Twilio request", missing)
    return [fields[name] for name in names]


@router.post("/sms", responses=_ERRORS, summary="An SMS sent to the pager's number (a reply to a page)")
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


@router.post("/status", status_code=204, responses=_ERRORS, summary="Twilio's report on an SMS it accepted")
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
