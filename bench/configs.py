"""Generated pager configs for each scenario (YAML is a superset of JSON, so they are written as JSON)."""

from __future__ import annotations

import json


def key_of(service: str) -> str:
    """The integration key of a generated service (the harness is the only client)."""
    return f"bench-key-{service}-0123456789abcdef"


def service_name(i: int) -> str:
    return f"svc{i:05d}"


def _service(name: str, policy: str) -> dict[str, object]:
    return {"name": name, "escalation_policy": policy, "integration_keys": [key_of(name)]}


def _level(target: str, ack_timeout: str) -> dict[str, object]:
    return {"targets": [target], "ack_timeout": ack_timeout}


def ingest(services: int) -> str:
    """`services` services on one policy whose first level waits an hour: nothing escalates."""
    policy = {"levels": [_level("email:oncall@bench.test", "1h")]}
    return json.dumps(
        {
            "escalation_policies": {"ingest": policy},
            "services": {service_name(i): _service(service_name(i), "ingest") for i in range(services)},
        }
    )


def phone_of(i: int) -> str:
    """Service i's own SMS number in the page-latency scenario."""
    return f"+336{12_000_000 + i:08d}"


def page_latency(services: int) -> str:
    """One policy per service paging its own phone number, so no page is bundled with another's."""
    return json.dumps(
        {
            "escalation_policies": {
                service_name(i): {"levels": [_level(f"sms:{phone_of(i)}", "1h")]} for i in range(services)
            },
            "services": {
                service_name(i): _service(service_name(i), service_name(i)) for i in range(services)
            },
        }
    )


def timer(services: int, ack_timeout_s: int) -> str:
    """Level 1 (one shared mailbox, on the console) times out after `ack_timeout_s`; then level 2 pages the
    service's own SMS number (so no page is bundled with another's) and waits an hour."""
    return json.dumps(
        {
            "escalation_policies": {
                service_name(i): {
                    "levels": [
                        _level("email:level1@bench.test", f"{ack_timeout_s}s"),
                        _level(f"sms:{phone_of(i)}", "1h"),
                    ]
                }
                for i in range(services)
            },
            "services": {
                service_name(i): _service(service_name(i), service_name(i)) for i in range(services)
            },
        }
    )


STORM_ADDRESSES = ("storm@bench.test", "+33612340001", "#storm")


def storm() -> str:
    """One service whose first level has three targets, one per channel."""
    policy = {"levels": [{"targets": ["email:storm@bench.test", "sms:+33612340001", "slack:#storm"]}]}
    return json.dumps(
        {
            "escalation_policies": {"storm": {"ack_timeout": "1h", **policy}},
            "services": {"storm": _service("storm", "storm")},
        }
    )
