"""Durations as people write them in config and settings: `30s`, `2m`, `1h30m`, `7d`, `1d12h`."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?", re.ASCII)
_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """The positive duration `text` spells, units from largest to smallest; ValueError otherwise."""
    spelled = text.strip()
    if spelled.isascii() and spelled.isdigit():
        raise ValueError(
            f"duration {text!r} has no unit: write for example {spelled}s, {spelled}m or {spelled}h"
        )
    if spelled.startswith("-"):
        raise ValueError(f"duration {text!r} must be positive")
    match = _DURATION.fullmatch(spelled)
    if not spelled or match is None:
        raise ValueError(
            f"duration {text!r}: expected numbers with units d, h, m, s, largest first, like 30s, 1h30m or 7d"
        )
    try:
        duration = timedelta(
            **{_UNITS[unit]: int(n) for unit, n in match.groupdict().items() if n is not None}
        )
    except OverflowError:
        raise ValueError(f"duration {text!r} is too long") from None
    if duration <= timedelta(0):
        raise ValueError(f"duration {text!r} must be positive")
    return duration
