"""A valid config as data, and helpers to load it or collect the problems found in it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, PagerConfig, parse_config

VALID: dict[str, Any] = {
    "people": {
        "alice": {
            "name": "Alice Martin",
            "sms": "+33612345678",
            "email": "alice@example.com",
            "slack": "U0ALICE",
        },
        "bob": {"name": "Bob Stone", "email": "bob@example.com"},
    },
    "rotations": {
        "primary": {
            "members": ["alice", "bob"],
            "start": "2026-11-30T09:00:00+01:00",
            "shift": "7d",
            "timezone": "Europe/Paris",
        }
    },
    "escalation_policies": {
        "payments-policy": {
            "levels": [
                {"targets": ["person:alice", "slack:#payments-oncall"]},
                {
                    "targets": ["rotation:primary", "email:cto@example.com", "sms:+33600000000"],
                    "ack_timeout": "10m",
                },
            ]
        }
    },
    "services": {
        "payments": {
            "name": "Payments API",
            "escalation_policy": "payments-policy",
            "integration_keys": ["payments-key"],
        }
    },
}


def valid() -> dict[str, Any]:
    return copy.deepcopy(VALID)


def load(data: dict[str, Any], env: dict[str, str] | None = None) -> PagerConfig:
    return parse_config(yaml.safe_dump(data), "pager.yaml", env or {})


def problems_in_text(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "pager.yaml", env or {})
    return raised.value.problems


def problems(data: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    return problems_in_text(yaml.safe_dump(data), env)


def reported(found: list[str], path: str, message: str) -> bool:
    return any(problem.startswith(f"{path}: {message}") for problem in found)
