"""The fake Twilio's Calls.json: the rules a call request must follow, and the Call resource answered."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fake_twilio import _E164, _callback_is_valid

# Inline TwiML is at most 4,000 characters: https://www.twilio.com/docs/api/errors/32018
MAX_TWIML = 4000


def broken_call_rule(form: dict[str, str]) -> tuple[int, str] | None:
    """The Twilio error code and message a Calls.json post with these parameters gets, if it breaks a rule.

    Parameters (To, From, Url, Twiml, ApplicationSid, StatusCallback, MachineDetection):
    https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource
    """
    to, sender = form.get("To", ""), form.get("From", "")
    if not to:  # https://www.twilio.com/docs/api/errors/21201
        return 21201, "No 'To' number is specified"
    if not _E164.fullmatch(to) or to == sender:  # https://www.twilio.com/docs/api/errors/21217
        return 21217, f"Phone number {to} does not appear to be valid"
    if not sender:  # https://www.twilio.com/docs/api/errors/21213
        return 21213, "'From' phone number is required"
    given = [name for name in ("Url", "Twiml", "ApplicationSid") if form.get(name)]
    if len(given) != 1:  # exactly one of them: https://www.twilio.com/docs/api/errors/21200
        return 21200, "Provide one of Url, Twiml or ApplicationSid for the call's instructions"
    # "The call url must be an absolute URL": https://www.twilio.com/docs/api/errors/21200
    if "Url" in given and not _callback_is_valid(form["Url"]):
        return 21200, f"The Url {form['Url']} is not an absolute URL"
    if len(form.get("Twiml", "")) > MAX_TWIML:  # https://www.twilio.com/docs/api/errors/32018
        return 32018, "Twiml size exceeded maximum allowed value of 4000 characters"
    callback = form.get("StatusCallback")
    # A fully qualified http(s) URL: https://www.twilio.com/docs/api/errors/21609
    if callback is not None and not _callback_is_valid(callback):
        return 21609, f"The StatusCallback URL {callback} is not a valid URL."
    detection = form.get("MachineDetection")
    # Enable or DetectMessageEnd: https://www.twilio.com/docs/voice/answering-machine-detection
    if detection not in (None, "Enable", "DetectMessageEnd"):
        return 21200, f"MachineDetection {detection} is neither Enable nor DetectMessageEnd"
    return None


def call_resource(account_sid: str, form: dict[str, str], number: int) -> dict[str, object]:
    """The Call resource Twilio answers a create with: https://www.twilio.com/docs/voice/api/call-resource"""
    sid = f"CA{number:032x}"
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return {
        "account_sid": account_sid,
        "answered_by": None,
        "api_version": "2010-04-01",
        "date_created": now,
        "date_updated": now,
        "direction": "outbound-api",
        "from": form["From"],
        "sid": sid,
        "status": "queued",
        "to": form["To"],
        "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json",
    }
