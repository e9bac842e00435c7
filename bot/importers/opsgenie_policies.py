"""Opsgenie escalations into Pager escalation policies.

An Opsgenie rule fires a delay after the alert was created, and rules with the same delay notify together
(https://docs.opsgenie.com/docs/escalation-api). So each distinct delay becomes a Pager level, whose
ack_timeout is the time to the next delay; after the last rule Opsgenie waits `repeat.waitInterval` minutes
and starts over `repeat.count` times, which is the last level's ack_timeout and the policy's `repeat`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.importers.api import Api, ident, reading
from bot.importers.opsgenie_data import People, Policies, Schedules, delay, listed, span, who
from bot.importers.plan import Plan, duration

Level = tuple[timedelta, list[str]]
_SHORTEST = timedelta(minutes=1)


def import_escalations(api: Api, plan: Plan, people: People, schedules: Schedules) -> Policies:
    """Every escalation with a target Pager has; returns what each escalation id became."""
    policies: Policies = {}
    for escalation in listed(api, "/v2/escalations"):
        with reading(f"Opsgenie escalation {ident(escalation, 'name')}"):
            escalation_id = str(escalation.get("id") or "")
            name = str(escalation.get("name") or escalation_id)
            source = f"escalation {name}"
            levels = _levels(plan, escalation.get("rules"), people, schedules, source)
            if not levels:
                plan.note(source, "no rule with a target Pager has: not carried over")
                continue
            policy_id = plan.new_id("escalation_policies", name)
            plan.escalation_policies[policy_id] = _policy(plan, levels, escalation.get("repeat"), source)
            plan.mapped(f"Opsgenie {source}", f"escalation_policies.{policy_id}")
            policies[escalation_id] = policy_id
    return policies


def _levels(plan: Plan, rules: Any, people: People, schedules: Schedules, source: str) -> list[Level]:
    """The rules grouped by delay, in time order; a delay whose rules have no target Pager has is left out."""
    by_delay: dict[timedelta, list[str]] = {}
    for index, rule in enumerate(rules if isinstance(rules, list) else [], start=1):
        if not isinstance(rule, dict):
            continue
        targets = _targets(plan, rule, people, schedules, f"{source} rule {index}")
        level = by_delay.setdefault(span(rule.get("delay")), [])
        level.extend(target for target in targets if target not in level)
    return sorted((after, targets) for after, targets in by_delay.items() if targets)


def _targets(plan: Plan, rule: dict[str, Any], people: People, schedules: Schedules, where: str) -> list[str]:
    if rule.get("condition") == "if-not-closed":
        plan.note(
            where, "notifies until the alert is closed in Opsgenie; Pager escalates until it is acknowledged"
        )
    found = rule.get("recipient")
    recipient: dict[str, Any] = found if isinstance(found, dict) else {}
    kind, ref = recipient.get("type"), str(recipient.get("id"))
    if kind == "user" and ref in people:
        return [f"person:{people[ref]}"]
    if kind == "schedule" and ref in schedules:
        notify = rule.get("notifyType") or "default"
        if notify != "default":
            plan.note(
                where,
                f"notifies the {notify} on-call user of {who(recipient)}: Pager pages who is on call now",
            )
        return schedules[ref].targets()
    if kind == "team":
        plan.note(
            where, f"team {who(recipient)} dropped: Pager has no teams, page its rotation or people instead"
        )
    elif kind in ("user", "schedule"):
        plan.note(where, f"{kind} {who(recipient)} was not carried over: dropped from the escalation")
    else:
        plan.note(where, f"recipient of type {kind} ({who(recipient)}) dropped: Pager cannot page it")
    return []


def _policy(plan: Plan, levels: list[Level], repeat: Any, source: str) -> dict[str, Any]:
    repeat = repeat if isinstance(repeat, dict) else {}
    count = repeat.get("count") if isinstance(repeat.get("count"), int) else 0
    first = levels[0][0]
    if first > timedelta(0):
        plan.note(source, f"its first rule waits {delay(first)}: Pager pages the first level at once")
    written: list[dict[str, Any]] = []
    for index, (after, targets) in enumerate(levels):
        level: dict[str, Any] = {"targets": targets}
        if index + 1 < len(levels):
            level["ack_timeout"] = duration(levels[index + 1][0] - after)
        elif count > 0:
            level["ack_timeout"] = duration(_before_repeat(plan, repeat, first, source))
        written.append(level)
    policy: dict[str, Any] = {"levels": written}
    if count > 0:
        policy["repeat"] = count
        if repeat.get("resetRecipientStates"):
            plan.note(
                source, "repeats reopen acknowledged alerts in Opsgenie; Pager repeats only unacknowledged"
            )
    if repeat.get("closeAlertAfterAll"):
        plan.note(source, "closing the alert after the last repeat is not carried over")
    return policy


def _before_repeat(plan: Plan, repeat: dict[str, Any], first: timedelta, source: str) -> timedelta:
    """The wait from the last rule to the first one's next turn: waitInterval, then the first rule's delay."""
    wait = timedelta(minutes=repeat.get("waitInterval") or 0) + first
    if wait < _SHORTEST:
        plan.note(source, f"repeats after {delay(wait)}: Pager waits {duration(_SHORTEST)} before repeating")
        return _SHORTEST
    return wait
