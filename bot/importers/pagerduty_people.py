"""PagerDuty users as Pager people: phone numbers from their contact methods, `notify` from their high-urgency
notification rules.

Shapes: User, PhoneContactMethod (`country_code` + `address`) and NotificationRule (`start_delay_in_minutes`,
`urgency`, `contact_method`) in github.com/PagerDuty/api-schema reference/REST/openapiv3.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.config_oncall import normalise_phone
from bot.importers.api import ident, reading
from bot.importers.plan import Plan, duration

# Pager's notify method for each kind of contact method; push and WhatsApp have none.
CHANNELS = {"sms_contact_method": "sms", "phone_contact_method": "voice", "email_contact_method": "email"}
PHONE_CHANNELS = ("sms", "voice")


@dataclass(frozen=True)
class Rule:
    id: str
    delay_minutes: int
    method_id: str
    kind: str  # the contact method's type, e.g. sms_contact_method


def add_people(plan: Plan, users: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each user as an entry of `people:`; returns the Pager id of each PagerDuty user id."""
    ids: dict[str, str] = {}
    for user in users:
        with reading(f"PagerDuty user {ident(user)}"):
            ids[str(user["id"])] = _add_person(plan, user)
    if ids:
        plan.note(
            "users", "Slack member ids are not part of PagerDuty's users: add `slack: U...` to people by hand"
        )
    return ids


def _add_person(plan: Plan, user: Mapping[str, Any]) -> str:
    source = f"user {user['id']} ({user.get('name')})"
    email = str(user.get("email") or "")
    person_id = plan.new_id("people", email.partition("@")[0] or str(user.get("name") or user["id"]))
    methods = {
        str(m["id"]): m for m in user.get("contact_methods") or [] if isinstance(m, dict) and "type" in m
    }
    rules = _high_urgency_rules(plan, source, user, methods)
    numbers = _numbers(plan, source, methods, rules)
    entry: dict[str, Any] = {"name": str(user.get("name") or person_id)}
    if email:
        entry["email"] = email
    if numbers.get("sms") and numbers.get("sms") == numbers.get("voice"):
        entry["phone"] = numbers["sms"]
    else:
        entry |= {channel: number for channel, number in numbers.items()}
    steps = _notify(plan, source, rules, {"email", *numbers} if email else set(numbers))
    if steps:
        entry["notify"] = steps
    plan.people[person_id] = entry
    plan.mapped(f"PagerDuty {source}", f"people.{person_id}")
    return person_id


def _high_urgency_rules(
    plan: Plan, source: str, user: Mapping[str, Any], methods: Mapping[str, Mapping[str, Any]]
) -> list[Rule]:
    """The user's high-urgency rules, earliest first; low-urgency ones noted, as Pager has no urgencies."""
    rules, low = [], 0
    for raw in user.get("notification_rules") or []:
        if not isinstance(raw, dict) or "urgency" not in raw:
            continue  # a reference: the list was not expanded with include[]
        if raw["urgency"] != "high":
            low += 1
            continue
        method = raw.get("contact_method") or {}
        method_id = str(method.get("id"))
        kind = str(methods.get(method_id, method).get("type", "")).removesuffix("_reference")
        rules.append(Rule(str(raw.get("id")), int(raw.get("start_delay_in_minutes") or 0), method_id, kind))
    if low:
        plan.note(
            source, f"{low} low-urgency notification rule(s) not carried: Pager pages with one set of rules"
        )
    return sorted(rules, key=lambda rule: rule.delay_minutes)


def _numbers(
    plan: Plan, source: str, methods: Mapping[str, Mapping[str, Any]], rules: list[Rule]
) -> dict[str, str]:
    """One sms and one voice number (Pager keeps one of each), preferring those the rules use first."""
    used_first = [methods[r.method_id] for r in rules if r.method_id in methods]
    chosen: dict[str, str] = {}
    seen: set[str] = set()
    for method in [*used_first, *methods.values()]:
        channel = CHANNELS.get(str(method["type"]))
        if channel not in PHONE_CHANNELS or str(method["id"]) in seen:
            continue
        seen.add(str(method["id"]))
        number = _number(plan, source, method)
        if number is None or chosen.setdefault(str(channel), number) == number:
            continue
        plan.note(
            f"{source} contact method {method['id']}",
            f"{method.get('label') or channel} number not carried: Pager keeps one {channel} number a person",
        )
    return chosen


def _number(plan: Plan, source: str, method: Mapping[str, Any]) -> str | None:
    """The method's number in E.164, or None (noted) when it is not a valid one."""
    written = f"+{method.get('country_code', '')}{method.get('address', '')}"
    try:
        return normalise_phone(written)
    except ValueError:
        plan.note(
            f"{source} contact method {method['id']}", f"{written} is not a valid phone number: left out"
        )
        return None


def _notify(plan: Plan, source: str, rules: list[Rule], contacts: set[str]) -> list[dict[str, str]]:
    """The rules as `notify` steps on the person's own contacts, each method and delay once."""
    steps: list[dict[str, str]] = []
    for rule in rules:
        channel = CHANNELS.get(rule.kind)
        when = f"after {rule.delay_minutes} min"
        if channel is None:
            kind = rule.kind.removesuffix("_contact_method").replace("_", " ")
            plan.note(f"{source} notification rule {rule.id}", f"{kind} ({when}) not carried: Pager has none")
        elif channel not in contacts:
            plan.note(
                f"{source} notification rule {rule.id}", f"{channel} ({when}) dropped: no number for it"
            )
        elif (step := {channel: _delay(rule.delay_minutes)}) not in steps:
            steps.append(step)
    return steps


def _delay(minutes: int) -> str:
    return "0m" if minutes <= 0 else duration(timedelta(minutes=minutes))
