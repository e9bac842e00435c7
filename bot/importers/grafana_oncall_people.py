"""Grafana OnCall users and their personal notification rules as Pager people.

OnCall's users API gives a username, an email and the linked Slack member, but no phone number
(https://grafana.com/docs/oncall/latest/oncall-api-reference/users/; only `is_phone_number_verified`), so
SMS and phone-call steps wait for a number to be added by hand. A person's rules run in `position` order and
`wait` steps add up (https://grafana.com/docs/oncall/latest/oncall-api-reference/personal_notification_rules/);
the `important` set serves the chain steps marked important, which Pager does not distinguish.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.importers.api import ident, reading
from bot.importers.plan import Plan, duration

Item = dict[str, Any]
_SLACK_MEMBER = re.compile(r"[UW][A-Z0-9]{2,}")
# OnCall's rule types (NotificationChannelPublicAPIOptions) with Pager's method for each it has.
METHODS = {
    "notify_by_sms": "sms",
    "notify_by_phone_call": "voice",
    "notify_by_email": "email",
    "notify_by_slack": "slack",
}
OTHERS = {
    "notify_by_mobile_app": "the OnCall mobile app",
    "notify_by_mobile_app_critical": "the OnCall mobile app",
    "notify_by_telegram": "Telegram",
    "notify_by_msteams": "Microsoft Teams",
    "notify_by_webhook": "a personal webhook",
}
# The serializer's default for a wait step given without a duration (UserNotificationPolicy.FIVE_MINUTES).
DEFAULT_WAIT = timedelta(minutes=5)


def add_people(plan: Plan, users: list[Item], rules: list[Item]) -> dict[str, str]:
    """A person for each user, with their default rules as `notify`; returns OnCall user id -> person id."""
    people: dict[str, str] = {}
    for user in users:
        with reading(f"Grafana OnCall user {ident(user)}"):
            name = str(user.get("username") or user.get("email") or user["id"])
            person_id = plan.new_id("people", name)
            person: Item = {"name": name}
            if user.get("email"):
                person["email"] = user["email"]
            if (member := _slack_member(user.get("slack"))) is not None:
                person["slack"] = member
            plan.people[person_id] = person
            plan.mapped(f"user {user['id']} ({name})", f"people.{person_id}")
            people[str(user["id"])] = person_id
            own = sorted(
                (r for r in rules if r.get("user_id") == user["id"]),
                key=lambda r: int(r.get("position") or 0),
            )
            _add_notify(plan, f"user {user['id']} ({name})", person_id, own, user)
    return people


def _slack_member(slack: object) -> str | None:
    """The linked Slack member id: the engine answers one object, the docs show a list of them."""
    found = slack[0] if isinstance(slack, list) and slack else slack
    member = found.get("user_id") if isinstance(found, dict) else None
    return member if isinstance(member, str) and _SLACK_MEMBER.fullmatch(member) else None


def _add_notify(plan: Plan, source: str, person_id: str, rules: list[Item], user: Item) -> None:
    person = plan.people[person_id]
    steps, phone_steps = _steps(plan, source, person, [r for r in rules if not r.get("important")])
    if steps:
        person["notify"] = steps
    if phone_steps or user.get("is_phone_number_verified"):
        wanted = f", then the notify steps {', '.join(phone_steps)}" if phone_steps else ""
        plan.note(source, f"OnCall's API gives no phone number: add people.{person_id}.phone by hand{wanted}")
    important = [r for r in rules if r.get("important")]
    if important:
        plan.note(
            source, f"important notification rules ({_describe(important)}) not carried: Pager has one set"
        )


def _steps(
    plan: Plan, source: str, person: Item, rules: list[Item]
) -> tuple[list[dict[str, str]], list[str]]:
    """Pager's notify steps for the rules, and the SMS and call steps waiting for a phone number."""
    delay = timedelta(0)
    steps: list[dict[str, str]] = []
    phone_steps: list[str] = []
    for rule in rules:
        kind = str(rule.get("type"))
        if kind == "wait":
            delay += timedelta(seconds=int(rule["duration"])) if rule.get("duration") else DEFAULT_WAIT
            continue
        method = METHODS.get(kind)
        at = _delay(delay)
        if method in ("sms", "voice"):
            phone_steps.append(f"{{{method}: {at}}}")
        elif method is not None and method in person:
            steps.append({method: at})
        elif method is not None:
            plan.note(source, f"{method} step at {at} dropped: OnCall links no {method} for them")
        else:
            plan.note(
                source, f"step at {at} by {OTHERS.get(kind, kind)} not carried: Pager cannot page that way"
            )
    return steps, phone_steps


def _delay(delay: timedelta) -> str:
    return duration(delay) if delay else "0m"


def _describe(rules: list[Item]) -> str:
    delay, parts = timedelta(0), []
    for rule in rules:
        if rule.get("type") == "wait":
            delay += timedelta(seconds=int(rule["duration"])) if rule.get("duration") else DEFAULT_WAIT
        else:
            parts.append(f"{str(rule.get('type')).removeprefix('notify_by_')} at {_delay(delay)}")
    return ", ".join(parts) or "waits only"
