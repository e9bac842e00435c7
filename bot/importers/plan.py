"""What an import makes: a Pager config's sections, what each came from, and what could not be carried over.

A vendor's importer fills a `Plan`; `render` writes it as the YAML config (the notes as comments at its top),
`check` loads that text exactly as `pager serve` would, and `report` is what `--dry-run` prints.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml

from bot.config import ConfigError, PagerConfig, parse_config
from bot.importers.api import ImportFailed

SECTIONS = ("people", "rotations", "overrides", "escalation_policies", "services")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def slug(text: str) -> str:
    """`text` as a config id: lowercase ASCII letters, digits and hyphens ("Zoë O'Neil" -> "zoe-o-neil")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "unnamed"


def duration(value: timedelta) -> str:
    """`value` written as the config writes durations: 90s -> "1m30s", 7 days -> "7d"."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError(f"{value} is not a positive duration")
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


@dataclass(frozen=True)
class Note:
    """Something of `source` (the vendor object's kind and id) that was approximated or left out."""

    source: str
    message: str


@dataclass
class Plan:
    """A config in the making: each section as plain data, ready for YAML."""

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    rotations: dict[str, dict[str, Any]] = field(default_factory=dict)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    escalation_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: list[tuple[str, str]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def new_id(self, section: str, wanted: str) -> str:
        """A slug of `wanted` not yet used in `section` (a number is added when it is)."""
        taken = getattr(self, section)
        base = slug(wanted)
        found, n = base, 2
        while found in taken:
            found, n = f"{base}-{n}", n + 1
        return found

    def mapped(self, source: str, target: str) -> None:
        """Record that the vendor's `source` became `target` (a config path such as people.alice)."""
        self.mappings.append((source, target))

    def note(self, source: str, message: str) -> None:
        """Record that something of `source` was approximated or not carried over, and how."""
        self.notes.append(Note(source, message))


def render(plan: Plan, vendor: str, now: datetime) -> str:
    """The config as YAML text, headed by where it came from and what to review."""
    header = [
        f"# Pager config imported from {vendor} on {now:%Y-%m-%d %H:%M} UTC.",
        "# Review it before use, the notes below first; `pager check-config` checks it again.",
    ]
    if plan.notes:
        header.append(f"# Not carried over or approximated ({len(plan.notes)}):")
        header += [f"#   - {_one_line(note.source)}: {_one_line(note.message)}" for note in plan.notes]
    data = {name: getattr(plan, name) for name in SECTIONS if getattr(plan, name)}
    data.setdefault("escalation_policies", {})
    data.setdefault("services", {})
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    return "\n".join(header) + "\n\n" + body


def _one_line(text: str) -> str:
    return " ".join(text.split())


def check(text: str) -> PagerConfig:
    """The rendered config loaded as `pager serve` would; ImportFailed lists its problems."""
    try:
        return parse_config(text, "imported config", {})
    except ConfigError as exc:
        problems = "\n".join(f"  {problem}" for problem in exc.problems)
        raise ImportFailed(f"the imported config does not load:\n{problems}") from None


def report(plan: Plan, vendor: str) -> str:
    """What `--dry-run` prints: counts, what maps to what, and every approximation with its source."""
    counts = ", ".join(f"{len(getattr(plan, name))} {name.replace('_', ' ')}" for name in SECTIONS)
    lines = [f"Import from {vendor}: {counts}.", "", "Mapped:"]
    lines += [f"  {source} -> {target}" for source, target in plan.mappings] or ["  nothing"]
    lines += ["", f"Not carried over or approximated ({len(plan.notes)}):"]
    lines += [f"  - {note.source}: {note.message}" for note in plan.notes] or ["  nothing"]
    return "\n".join(lines) + "\n"
