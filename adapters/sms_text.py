"""How a page reads as one SMS: what broke and how to acknowledge by replying, in one segment if it fits.

Twilio bills and splits by segment: GSM-7 text has 160 septets in one (an extension character such as
`{` or `€` takes two), anything else is UCS-2 with 70 UTF-16 code units in one (an emoji outside the BMP
takes two).
A body longer than 1,600 characters is refused outright (error 21617).
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from domain.delivery_ports import Page, PageItem
from domain.model import ServiceId

GSM_SEGMENT = 160
UCS2_SEGMENT = 70
MAX_BODY = 1600
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_SHORTEST_SUMMARY = 8
_LONGEST_SERVICE = 100
_ELLIPSIS = "..."  # three GSM-7 dots: "…" would turn the whole page into UCS-2
# Code points that belong to the character before them: cutting in front of one would split a character.
_JOINERS = frozenset("\u200c\u200d\ufe0e\ufe0f")
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_TAGS = range(0xE0020, 0xE0080)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def _is_gsm7(text: str) -> bool:
    return all(c in _GSM7 or c in _GSM7_EXTENSION for c in text)


def encoded_length(text: str) -> int:
    """Septets if `text` is GSM-7, else UTF-16 code units: what Twilio's segment limits count."""
    if _is_gsm7(text):
        return len(text) + sum(c in _GSM7_EXTENSION for c in text)
    return len(text.encode("utf-16-le")) // 2


def fits_one_segment(text: str) -> bool:
    return encoded_length(text) <= (GSM_SEGMENT if _is_gsm7(text) else UCS2_SEGMENT)


def one_line(text: str) -> str:
    """`text` on one line: breaks, tabs, control characters as single spaces; lone surrogates as U+FFFD."""
    chars = ("\ufffd" if unicodedata.category(c) == "Cs" else c for c in text)
    spaced = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in chars)
    return " ".join(spaced.split())


def sms_text(page: Page) -> str:
    """The SMS for `page`: one segment whenever shortening summaries (with ...) can get it there; else the
    shortest summaries, listing as many incidents as fit in 1,600 characters and counting the rest."""
    items = tuple(_on_one_line(i) for i in page.items)
    if not fits_one_segment(_render(items, _SHORTEST_SUMMARY)):
        return _render_within_limit(items)
    fits, too_long = _SHORTEST_SUMMARY, max(len(i.summary) for i in items) + 1
    while too_long - fits > 1:  # the text only shrinks as the cap does: bisect for the longest that fits
        cap = (fits + too_long) // 2
        fits, too_long = (cap, too_long) if fits_one_segment(_render(items, cap)) else (fits, cap)
    return _render(items, fits)


def _on_one_line(item: PageItem) -> PageItem:
    service = ServiceId(_cut(one_line(item.service_id), _LONGEST_SERVICE))
    return replace(item, summary=one_line(item.summary), service_id=service)


def _render(items: tuple[PageItem, ...], cap: int, more: int = 0) -> str:
    if len(items) == 1 and not more:
        item = items[0]
        head = f"PAGER #{item.incident_id} {item.service_id}: {_cut(item.summary, cap)}"
        return f"{head}\nReply {item.incident_id}A to ack, {item.incident_id}R to resolve"
    lines = [f"PAGER {len(items) + more} incidents:"]
    lines += [f"#{i.incident_id} {i.service_id}: {_cut(i.summary, cap)}" for i in items]
    if more:
        lines.append(f"+{more} more")
    first = items[0].incident_id
    lines.append(f"Reply AA to ack all, or {first}A / {first}R for one")
    return "\n".join(lines)


def _render_within_limit(items: tuple[PageItem, ...]) -> str:
    """The shortest-summary text; over 1,600, as many leading incidents as fit and a "+N more" line."""
    text = _render(items, _SHORTEST_SUMMARY)
    if encoded_length(text) <= MAX_BODY:
        return text
    fits, too_many = 1, len(items)  # one incident, a 100-character service id and a summary of 8 always fit
    while too_many - fits > 1:
        shown = (fits + too_many) // 2
        text = _render(items[:shown], _SHORTEST_SUMMARY, more=len(items) - shown)
        fits, too_many = (shown, too_many) if encoded_length(text) <= MAX_BODY else (fits, shown)
    return _render(items[:fits], _SHORTEST_SUMMARY, more=len(items) - fits)


def _cut(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    return text[: _boundary(text, cap - len(_ELLIPSIS))].rstrip() + _ELLIPSIS


def _boundary(text: str, end: int) -> int:
    """The largest index <= `end` at which cutting `text` splits no character."""
    while end > 0 and _inside_character(text, end):
        end -= 1
    return max(end, 0)


def _inside_character(text: str, index: int) -> bool:
    """Whether `index` falls before a combining mark, joiner, variation selector, skin tone or tag, after a
    zero-width joiner, or between the two regional indicators of a flag."""
    char = text[index]
    if unicodedata.category(char) in ("Mn", "Mc", "Me") or char in _JOINERS or text[index - 1] == "\u200d":
        return True
    if ord(char) in _SKIN_TONES or ord(char) in _TAGS:
        return True
    run = 0
    while run < index and ord(text[index - run - 1]) in _REGIONAL_INDICATORS:
        run += 1
    return ord(char) in _REGIONAL_INDICATORS and run % 2 == 1
