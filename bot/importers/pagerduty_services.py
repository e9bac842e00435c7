"""PagerDuty escalation policies and services as Pager's, with the services' integration keys.

Shapes: EscalationPolicy (`num_loops`, `escalation_rules` of `escalation_delay_in_minutes` and `targets`),
Service (`escalation_policy`, `integrations`) and Integration in github.com/PagerDuty/api-schema
reference/REST/openapiv3.json. An integration's `integration_key` comes with GET
/services/{id}/integrations/{integration_id}, as Terraform's provider reads it
(pagerduty/resource_pagerduty_service_integration.go).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from bot.importers.api import Api, ident, reading
from bot.importers.plan import Plan, duration

# The integration whose key Pager's PagerDuty-compatible endpoint (POST /v2/enqueue) takes as routing_key.
EVENTS_V2 = "events_api_v2_inbound_integration"
USER_TARGETS = ("user_reference", "user")
SCHEDULE_TARGETS = ("schedule_reference", "schedule")


def add_policies(
    plan: Plan, policies: Iterable[Mapping[str, Any]], people: Mapping[str, str], rotations: Mapping[str, str]
) -> dict[str, str]:
    """Each escalation policy with a level left; returns the Pager id of each PagerDuty policy id."""
    ids: dict[str, str] = {}
    for policy in policies:
        with reading(f"PagerDuty escalation policy {ident(policy)}"):
            _add_policy(plan, policy, people, rotations, ids)
    return ids


def _add_policy(
    plan: Plan,
    policy: Mapping[str, Any],
    people: Mapping[str, str],
    rotations: Mapping[str, str],
    ids: dict[str, str],
) -> None:
    source = f"escalation policy {policy['id']} ({policy.get('name')})"
    rules = policy.get("escalation_rules") or []
    levels = [
        level
        for n, rule in enumerate(rules, 1)
        if (level := _level(plan, f"{source} rule {n}", rule, people, rotations)) is not None
    ]
    if not levels:
        plan.note(source, "no rule with a target Pager knows: policy not carried over")
        return
    policy_id = plan.new_id("escalation_policies", str(policy.get("name") or policy["id"]))
    plan.escalation_policies[policy_id] = _with_common_timeout(levels, int(policy.get("num_loops") or 0))
    plan.mapped(f"PagerDuty {source}", f"escalation_policies.{policy_id}")
    ids[str(policy["id"])] = policy_id


def _level(
    plan: Plan, source: str, rule: Mapping[str, Any], people: Mapping[str, str], rotations: Mapping[str, str]
) -> dict[str, Any] | None:
    targets = [t for raw in rule.get("targets") or [] if (t := _target(plan, source, raw, people, rotations))]
    if not targets:
        plan.note(source, "no target left: rule not carried over")
        return None
    strategy = rule.get("escalation_rule_assignment_strategy")
    if (strategy.get("type") if isinstance(strategy, dict) else strategy) == "round_robin":
        plan.note(source, "assigns its targets in turn (round robin); Pager pages all of them at once")
    minutes = int(rule.get("escalation_delay_in_minutes") or 0)
    if minutes < 1:
        plan.note(source, f"escalation delay of {minutes} min raised to 1 min")
    return {"targets": targets, "ack_timeout": duration(timedelta(minutes=max(minutes, 1)))}


def _target(
    plan: Plan,
    source: str,
    target: Mapping[str, Any],
    people: Mapping[str, str],
    rotations: Mapping[str, str],
) -> str | None:
    kind, ref = target.get("type"), str(target.get("id"))
    if kind in USER_TARGETS and ref in people:
        return f"person:{people[ref]}"
    if kind in SCHEDULE_TARGETS and ref in rotations:
        return f"rotation:{rotations[ref]}"
    plan.note(source, f"target {kind} {ref} ({target.get('summary')}) was not carried over: left out")
    return None


def _with_common_timeout(levels: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    """The policy with the commonest delay as its ack_timeout, written on the levels that differ only."""
    common = Counter(level["ack_timeout"] for level in levels).most_common(1)[0][0]
    written = [level if level["ack_timeout"] != common else {"targets": level["targets"]} for level in levels]
    return {"ack_timeout": common, "repeat": repeat, "levels": written}


def add_services(
    plan: Plan, api: Api, services: Iterable[Mapping[str, Any]], policies: Mapping[str, str]
) -> None:
    """Each service whose escalation policy was carried over, with its integration keys."""
    kept = 0
    for service in services:
        with reading(f"PagerDuty service {ident(service)}"):
            kept += _add_service(plan, api, service, policies)
    if kept:
        plan.note("services", "kept Events API v2 keys work once the monitors send to Pager's /v2/enqueue")


def _add_service(plan: Plan, api: Api, service: Mapping[str, Any], policies: Mapping[str, str]) -> int:
    """The service with its integrations' keys; returns how many Events API v2 keys it kept."""
    source = f"service {service['id']} ({service.get('name')})"
    policy = policies.get(str((service.get("escalation_policy") or {}).get("id")))
    if policy is None:
        plan.note(source, "its escalation policy was not carried over: service not carried over")
        return 0
    service_id = plan.new_id("services", str(service.get("name") or service["id"]))
    keys, kept = [], 0
    for reference in service.get("integrations") or []:
        integration = api.get(f"/services/{service['id']}/integrations/{reference['id']}")["integration"]
        key, was_kept = _key(plan, f"{source} integration {reference['id']}", integration, service_id)
        keys.append(key)
        kept += was_kept
    entry = {"name": str(service.get("name") or service_id), "escalation_policy": policy}
    plan.services[service_id] = entry | ({"integration_keys": keys} if keys else {})
    plan.mapped(f"PagerDuty {source}", f"services.{service_id}")
    return kept


def _key(plan: Plan, source: str, integration: Mapping[str, Any], service_id: str) -> tuple[str, bool]:
    """The integration's key where Pager takes it as is, else a new one (noted, without the key itself)."""
    kind = str(integration.get("type"))
    key = integration.get("integration_key")
    if kind == EVENTS_V2 and isinstance(key, str) and key:
        return key, True
    plan.note(
        f"{source} ({integration.get('name')})",
        f"{kind} has no equivalent in Pager: a new key is in services.{service_id}.integration_keys; "
        "point the sender at Pager with it",
    )
    return secrets.token_urlsafe(24), False
