"""The config's `heartbeats:` section: each heartbeat check, its service, interval, grace and summary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from bot.durations import parse_duration
from domain.heartbeat_model import HeartbeatCheck
from domain.model import ServiceId

# A heartbeat's name goes in its URL (`/heartbeats/<name>`) and in its alerts' dedup key.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _duration(value: object) -> timedelta:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a duration like 30s, 5m, 1h30m or 7d")
    return parse_duration(value)


_Duration = Annotated[timedelta, PlainValidator(_duration)]


class HeartbeatSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    interval: _Duration
    grace: _Duration | None = None
    summary: Annotated[str, Field(min_length=1, max_length=1024)] | None = None


def heartbeat(name: str, spec: HeartbeatSpec) -> HeartbeatCheck:
    """The check the entry `name` declares; ValueError for a name that cannot be a URL's last part."""
    if not NAME.fullmatch(name):
        raise ValueError(
            "a heartbeat's name is its URL: letters, digits, '.', '_' and '-', at most 100, "
            "starting with a letter or digit"
        )
    summary = spec.summary or f"Heartbeat {name} did not report"
    return HeartbeatCheck(name, ServiceId(spec.service), spec.interval, spec.grace or timedelta(0), summary)


def by_name(checks: list[HeartbeatCheck], services: Mapping[ServiceId, object]) -> dict[str, HeartbeatCheck]:
    """The checks whose service exists (the others were reported), by name."""
    return {check.name: check for check in checks if check.service in services}
