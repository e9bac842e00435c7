"""Twilio's voice webhooks: what a page call says and the key pressed, and how the call ended; all signed."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from adapters.voice_script import (
    GOODBYE,
    VOICEMAIL,
    call_query,
    gather_twiml,
    keys_help,
    page_speech,
    read_only_twiml,
    say_twiml,
)
from bot.bootstrap import Runtime
from bot.errors import ApiError
from bot.schemas import FieldError
from bot.twilio_webhooks import ERRORS, form_body, required, signed_form
from domain.model import IncidentId, PersonId
from domain.voice_calls import Call, Key, VoiceCalls

router = APIRouter(prefix="/twilio", tags=["twilio"])
# Up to 9 digits each: larger numbers are no step the pager wrote, and would not fit a database integer.
_STEP = re.compile(r"(?<!\d)(\d{1,9})\.(\d{1,9})\.(\d{1,9})(?!\d)")
# "CA" and 32 hex digits: https://www.twilio.com/docs/voice/api/call-resource (the Call's sid)
_CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
# AnsweredBy when machine detection heard no person: https://www.twilio.com/docs/voice/answering-machine-detection
_MACHINES = ("machine_", "fax")
TWIML = "text/xml"

_QUERY = [
    {
        "name": "steps",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "The pages the call carries, `incident.level.round` each, joined by `-`.",
    },
    {
        "name": "person",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "The person called, the only one who can act through the call.",
    },
    {
        "name": "miss",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "1 once the page was read again after no key or a wrong one.",
    },
]
_CALL_FIELDS = {"CallSid": "Twilio's id of the call", "To": "the number called, E.164"}
_TWIML_ANSWER = {
    200: {
        "description": "TwiML: what the call says next",
        "content": {TWIML: {"schema": {"type": "string"}}},
    },
    **ERRORS,
}


def _call(request: Request, fields: dict[str, str]) -> Call:
    sid, to = required(fields, "CallSid", "To")
    if not _CALL_SID.fullmatch(sid):
        reason = "not a Twilio call sid (CA and 32 hexadecimal digits)"
        raise ApiError(422, "invalid Twilio request", [FieldError(field="CallSid", reason=reason)])
    steps = tuple(
        (IncidentId(int(m[1])), int(m[2]), int(m[3]))
        for m in _STEP.finditer(request.query_params.get("steps", ""))
    )
    person = request.query_params.get("person") or None
    return Call(sid, to, PersonId(person) if person else None, steps)


def _twiml(text: str) -> Response:
    return Response(text, media_type=TWIML)


@router.post(
    "/voice",
    response_class=Response,
    responses=_TWIML_ANSWER,
    summary="A page call answered, or the key pressed in it",
    openapi_extra=form_body(
        "Twilio's request for a call's instructions, then the <Gather> action with the key pressed",
        {
            **_CALL_FIELDS,
            "Digits": "the key pressed; blank when none was",
            "AnsweredBy": "human, machine_start, fax or unknown (machine detection)",
        },
        ["CallSid", "To"],
        _QUERY,
    ),
)
async def voice(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    fields = await signed_form(request)
    call = _call(request, fields)
    assert runtime.voice_calls is not None
    calls = runtime.voice_calls
    if fields.get("AnsweredBy", "").startswith(_MACHINES):
        await run_in_threadpool(calls.on_voicemail, call)
        return _twiml(say_twiml(VOICEMAIL, runtime.settings.voice_language))
    miss = 1 if request.query_params.get("miss") else 0
    if "Digits" not in fields:
        return _twiml(await run_in_threadpool(_read_page, runtime, calls, call, miss))
    digit = fields["Digits"]
    if digit in (Key.ACK, Key.RESOLVE):
        said = await run_in_threadpool(calls.on_key, call, Key(digit))
        done = "This was already done." if said is None else said
        return _twiml(say_twiml(f"{done} {GOODBYE}", runtime.settings.voice_language))
    if digit == Key.REPEAT or not miss:
        missed = miss if digit == Key.REPEAT else 1
        return _twiml(await run_in_threadpool(_read_page, runtime, calls, call, missed))
    return _twiml(say_twiml(GOODBYE, runtime.settings.voice_language))


def _read_page(runtime: Runtime, calls: VoiceCalls, call: Call, miss: int) -> str:
    """The incidents still waiting and the keys (only the person called can press them)."""
    language = runtime.settings.voice_language
    items = calls.waiting(call)
    if not items:
        return say_twiml(f"Nothing is waiting for an acknowledgement any more. {GOODBYE}", language)
    person = calls.caller(call)
    if person is None:
        return read_only_twiml(page_speech(items), language)
    steps = [(int(i), level, round_) for i, level, round_ in call.steps]
    action = f"{runtime.settings.public_url}/twilio/voice?{call_query(steps, person.id, miss)}"
    return gather_twiml(page_speech(items), keys_help(len(items)), action, language)


@router.post(
    "/voice/status",
    response_class=Response,
    responses=_TWIML_ANSWER,
    summary="Twilio's report on how a page call ended",
    openapi_extra=form_body(
        "Twilio's call status callback",
        {
            **_CALL_FIELDS,
            "CallStatus": "completed, busy, no-answer, failed, canceled ...",
            "ErrorCode": "Twilio's error code when the call failed",
        },
        ["CallSid", "To", "CallStatus"],
        _QUERY,
    ),
)
async def voice_status(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    fields = await signed_form(request)
    call = _call(request, fields)
    (status,) = required(fields, "CallStatus")
    assert runtime.voice_calls is not None
    await run_in_threadpool(runtime.voice_calls.on_status, call, status, fields.get("ErrorCode") or None)
    return _twiml(say_twiml("", runtime.settings.voice_language))
