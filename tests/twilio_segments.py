"""How many SMS segments Twilio bills a body: the fake Twilio's count, kept apart from adapters/sms_text.py.

Sources:
- https://www.twilio.com/docs/glossary/what-is-gsm-7-character-encoding (GSM 03.38, escape codes count two,
  160 per message, 153 per segment with the 6-byte header, anything else falls back to UCS-2)
- https://www.twilio.com/docs/glossary/what-is-ucs-2-character-encoding (70, and 67 per segment)
- https://www.twilio.com/docs/glossary/what-sms-character-limit (160/153, 70/67, 1,600 in all)
- Twilio's Message Segment Calculator, https://twiliodeved.github.io/message-segment-calculator/ (linked from
  https://www.twilio.com/docs/api/errors/21617): a character's code units (an escape pair, a surrogate
  pair) are never split between two segments
"""

from __future__ import annotations

# GSM 03.38 default alphabet in code order, 0x00 to 0x7F; the escape code 0x1B is held by "\x00", never sent.
_DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table, reached through the escape code: two septets each.
_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]"}
_EXTENSION |= {0x40: "|", 0x65: "€"}

_ONE_SEPTET = frozenset(_DEFAULT_ALPHABET) - {"\x00"}
_TWO_SEPTETS = frozenset(_EXTENSION.values())
GSM7 = "GSM-7"
UCS2 = "UCS-2"
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # one-segment message, each segment of a longer one


def assert_tables_complete() -> None:
    """The tables hold the 127 default characters and the 10 escaped ones of GSM 03.38."""
    assert (len(_DEFAULT_ALPHABET), len(_ONE_SEPTET), len(_TWO_SEPTETS)) == (128, 127, 10)


def encoding(body: str) -> str:
    return GSM7 if all(c in _ONE_SEPTET or c in _TWO_SEPTETS for c in body) else UCS2


def _widths(body: str) -> list[int]:
    """Units each character takes: septets in GSM-7, UTF-16 code units (2 for a surrogate pair) in UCS-2."""
    if encoding(body) == GSM7:
        return [2 if c in _TWO_SEPTETS else 1 for c in body]
    return [len(c.encode("utf-16-le")) // 2 for c in body]


def encoded_units(body: str) -> int:
    return sum(_widths(body))


def num_segments(body: str) -> int:
    """Segments Twilio splits `body` into: an escape pair or a surrogate pair never straddles two segments."""
    widths = _widths(body)
    single, each = _LIMITS[encoding(body)]
    if sum(widths) <= single:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > each:
            segments, used = segments + 1, 0
        used += width
    return segments
