"""Grafana OnCall escalation chains as Pager escalation policies.

A chain's steps run in `position` order and only `wait` steps take time
(https://grafana.com/docs/oncall/latest/oncall-api-reference/escalation_policies/): the notify steps between
two waits page at once, so they make one Pager level, and the waits after it its ack_timeout.
`repeat_escalation` starts the chain over, at most 5 times (EscalationPolicy.MAX_TIMES_REPEAT in
grafana/oncall).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.importers.api import ident, reading
from bot.importers.plan import Plan, duration

MAX_TIMES_REPEAT = 5
Item = dict[str, Any]

# Steps Pager has no counterpart for, and what that means for the chain.
UNSUPPORTED = {
    "trigger_webhook": "outgoing webhooks are not carried: the step is dropped",
    "notify_user_group": "Slack user groups are not carried: the step is dropped",
    "notify_team_members": "teams are not carried: the step is dropped (page the members by name instead)",
    "notify_whole_channel": "Slack channel-wide notices are not carried: the step is dropped",
    "resolve": "resolving from the chain is not carried: the step is dropped",
    "notify_if_time_from_to": "the time-of-day condition is dropped: the steps after it run at any hour",
    "notify_if_num_alerts_in_window": "the alert-count condition is dropped: the steps after it always run",
    "declare_incident": "declaring an incident is not carried: the step is dropped",
}


@dataclass
class _Level:
    targets: list[str] = field(default_factory=list)
    wait: timedelta = timedelta(0)


@dataclass
class Targets:
    """Where OnCall ids lead in the config: user id -> person id, schedule id -> rotation id."""

    people: Mapping[str, str]
    rotations: Mapping[str, str]


def add_policies(plan: Plan, chains: list[Item], steps: list[Item], targets: Targets) -> dict[str, str]:
    """A policy for each chain with at least one step Pager can page; returns chain id -> policy id."""
    policies: dict[str, str] = {}
    for chain in chains:
        with reading(f"Grafana OnCall escalation chain {ident(chain)}"):
            source = f"escalation chain {chain['id']} ({chain.get('name')})"
            own = sorted((s for s in steps if s.get("escalation_chain_id") == chain["id"]), key=_position)
            levels, repeat = _levels(plan, own, targets)
            if not levels:
                plan.note(source, "no step Pager can page: not carried")
                continue
            policy_id = plan.new_id("escalation_policies", str(chain.get("name") or chain["id"]))
            plan.escalation_policies[policy_id] = _entry(levels, repeat)
            plan.mapped(source, f"escalation_policies.{policy_id}")
            policies[str(chain["id"])] = policy_id
            if repeat and not levels[-1].wait:
                plan.note(
                    source,
                    "OnCall starts over at once after the last step; Pager first waits the ack_timeout",
                )
    return policies


def _position(step: Item) -> int:
    return int(step.get("position") or 0)


def _levels(plan: Plan, steps: list[Item], targets: Targets) -> tuple[list[_Level], int]:
    levels: list[_Level] = []
    for index, step in enumerate(steps):
        kind = str(step.get("type"))
        source = f"escalation step {step['id']} ({kind})"
        if kind == "repeat_escalation":
            for later in steps[index + 1 :]:
                plan.note(
                    f"escalation step {later['id']} ({later.get('type')})", "after a repeat: never reached"
                )
            return levels, MAX_TIMES_REPEAT
        if kind == "wait":
            _wait(plan, source, levels, timedelta(seconds=int(step.get("duration") or 0)))
            continue
        found = _targets(plan, source, step, targets)
        if found:
            if not levels or levels[-1].wait:
                levels.append(_Level())
            levels[-1].targets += [t for t in found if t not in levels[-1].targets]
    return levels, 0


def _wait(plan: Plan, source: str, levels: list[_Level], length: timedelta) -> None:
    if not levels:
        plan.note(source, f"a {duration(length)} wait before anyone is paged: Pager pages at once")
    else:
        levels[-1].wait += length


def _targets(plan: Plan, source: str, step: Item, targets: Targets) -> list[str]:
    """The Pager targets a notify step pages, with a note for what it cannot carry."""
    kind = str(step.get("type"))
    if step.get("important"):
        plan.note(source, "pages with people's important rules in OnCall; Pager has only their usual ones")
    if kind == "notify_persons":
        return _people(plan, source, step.get("persons_to_notify") or [], targets)
    if kind == "notify_person_next_each_time":
        plan.note(source, "OnCall pages one of these people in turn; Pager pages them all")
        return _people(plan, source, step.get("persons_to_notify_next_each_time") or [], targets)
    if kind == "notify_on_call_from_schedule":
        schedule = str(step.get("notify_on_call_from_schedule"))
        if schedule in targets.rotations:
            return [f"rotation:{targets.rotations[schedule]}"]
        plan.note(source, f"schedule {schedule} was not carried over: the step is dropped")
        return []
    plan.note(source, UNSUPPORTED.get(kind, "a step kind Pager does not know: dropped"))
    return []


def _people(plan: Plan, source: str, users: list[str], targets: Targets) -> list[str]:
    unknown = [u for u in users if u not in targets.people]
    if unknown:
        plan.note(source, f"users {', '.join(unknown)} unknown: left out")
    return [f"person:{targets.people[u]}" for u in users if u in targets.people]


def _entry(levels: list[_Level], repeat: int) -> dict[str, Any]:
    written: list[dict[str, Any]] = []
    for level in levels:
        entry: dict[str, Any] = {"targets": level.targets}
        if level.wait:
            entry["ack_timeout"] = duration(level.wait)
        written.append(entry)
    policy: dict[str, Any] = {"levels": written}
    if repeat:
        policy["repeat"] = repeat
    return policy
