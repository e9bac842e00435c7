"""What a page call says, as TwiML: the incidents read out, the keys to press, and the answers to them.

Text to speech reads whatever it is given, so a monitor's summary is put on one line without control,
format or unassigned characters (which XML cannot carry either) and cut at a word, not with "...", which
some voices read aloud. `<Say>` holds at most 3,000 characters with Polly voices, and inline TwiML at most
4,000 (https://www.twilio.com/docs/api/errors/13521, https://www.twilio.com/docs/api/errors/32018): a call
reads at most `MAX_SPEECH` characters, naming the incidents that fit and counting the others.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from domain.delivery_ports import PageItem

MAX_SPEECH = 1500
MAX_URL = (
    4000  # the longest URL Twilio takes for a call or callback (https://www.twilio.com/docs/api/errors/21609)
)
GATHER_SECONDS = 8
_ONE_SUMMARY = 150
_BUNDLE_SUMMARY = 60
_KEYS_ONE = "Press 1 to acknowledge, 2 to resolve, 3 to hear this again."
_KEYS_MANY = "Press 1 to acknowledge all of them, 2 to resolve all of them, 3 to hear this again."
VOICEMAIL = "This is the pager. An incident needs you now. Please check your pages."
GOODBYE = "Goodbye."


def speakable(text: str) -> str:
    """`text` on one line, without the characters a voice cannot say and XML cannot hold."""
    kept = (" " if unicodedata.category(c).startswith(("C", "Z")) else c for c in text)
    return " ".join("".join(kept).split())


def _cut(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    head = text[:cap].rsplit(" ", 1)[0] if " " in text[:cap] else text[:cap]
    return head.rstrip(" ,;:.-")


def _sentence(item: PageItem, cap: int) -> str:
    service = _cut(speakable(item.service_name), 60)
    summary = _cut(speakable(item.summary), cap) or "no summary"
    return f"Incident {item.incident_id}, {service}: {summary}."


def page_speech(items: Sequence[PageItem]) -> str:
    """The incidents, as many as fit `MAX_SPEECH`, then how many more there are."""
    if len(items) == 1:
        return f"Pager alert. {_sentence(items[0], _ONE_SUMMARY)}"
    said = [f"Pager alert: {len(items)} incidents."]
    for index, item in enumerate(items):
        sentence = _sentence(item, _BUNDLE_SUMMARY)
        if sum(len(s) + 1 for s in said) + len(sentence) > MAX_SPEECH - 40:
            said.append(f"And {len(items) - index} more.")
            break
        said.append(sentence)
    return " ".join(said)


def keys_help(count: int) -> str:
    return _KEYS_ONE if count == 1 else _KEYS_MANY


def call_query(steps: Sequence[tuple[int, int, int]], person: str | None, miss: int = 0) -> str:
    """The query of a call's signed URLs: its pages (`incident.level.round`, joined by `-`), as many as
    keep the URL short enough, the person called and how many times the call went unanswered."""
    fields: dict[str, str] = {"person": person} if person else {}
    if miss:
        fields["miss"] = str(miss)
    taken: list[str] = []
    budget = MAX_URL - 200 - len(urlencode(fields))
    for incident, level, round_ in steps:
        step = f"{incident}.{level}.{round_}"
        if sum(len(s) + 1 for s in taken) + len(step) > budget:
            break
        taken.append(step)
    return urlencode({"steps": "-".join(taken), **fields})


def gather_twiml(speech: str, keys: str, action: str, language: str) -> str:
    """Read the page and the keys, taking one key press (or none, after a pause) to `action`."""
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, action=action, method="POST", timeout=GATHER_SECONDS, action_on_empty_result=True
    )
    gather.say(speakable(speech), language=language)
    gather.say(keys, language=language)
    return str(response)


def read_only_twiml(speech: str, language: str) -> str:
    """Read the page twice and hang up: no key can be answered."""
    response = VoiceResponse()
    response.say(speakable(speech), language=language)
    response.pause(length=1)
    response.say(speakable(speech), language=language)
    response.hangup()
    return str(response)


def say_twiml(text: str, language: str) -> str:
    """Say `text` and hang up; `<Response/>` alone when there is nothing to say."""
    response = VoiceResponse()
    if text:
        response.say(speakable(text), language=language)
        response.hangup()
    return str(response)
