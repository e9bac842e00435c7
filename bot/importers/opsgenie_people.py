"""Opsgenie users into Pager people: their contact methods, and the notification rule for new alerts as the
person's `notify` steps."""

from __future__ import annotations

import re
from typing import Any

from bot.config_oncall import normalise_phone
from bot.importers.api import Api, ident, reading
from bot.importers.opsgenie_data import People, delay, detail, listed, span
from bot.importers.plan import Plan

# Contact methods Pager has; "mobile" is Opsgenie's app push, which no Pager channel matches.
# https://docs.opsgenie.com/docs/contact-api
_METHODS = ("sms", "voice", "email")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def import_people(api: Api, plan: Plan) -> People:
    """Every user as a person with their contacts and steps; returns who each Opsgenie user id became."""
    people: People = {}
    for user in api.items("/v2/users", "data"):
        with reading(f"Opsgenie user {ident(user, 'username')}"):
            user_id = str(user.get("id") or "")
            username = str(user.get("username") or user_id)
            name = str(user.get("fullName") or username)
            source = f"user {username}"
            contacts = _contacts(api, plan, user_id, source)
            if "email" not in contacts and _EMAIL.fullmatch(username):
                contacts["email"] = username  # Opsgenie usernames are email addresses
            person: dict[str, Any] = {"name": name, **_written(contacts)}
            steps = _notify(api, plan, user_id, set(contacts), source)
            if steps:
                person["notify"] = steps
            person_id = plan.new_id("people", name)
            plan.people[person_id] = person
            plan.mapped(f"Opsgenie user {username} ({name})", f"people.{person_id}")
            people[user_id] = person_id
    return people


def _contacts(api: Api, plan: Plan, user_id: str, source: str) -> dict[str, str]:
    """The first enabled contact of each method Pager has, in Opsgenie's apply order."""
    found: dict[str, str] = {}
    contacts = listed(api, f"/v2/users/{user_id}/contacts")
    for contact in sorted(contacts, key=lambda c: int(c.get("applyOrder") or 0)):
        method, to = str(contact.get("method")), str(contact.get("to") or "")
        if method not in _METHODS:
            continue  # the app's push: the notification rules note it where it is used
        status = contact.get("status")
        if isinstance(status, dict) and status.get("enabled") is False:
            plan.note(source, f"{method} contact {to} is disabled in Opsgenie: left out")
        elif method in found:
            plan.note(source, f"second {method} contact {to} left out: Pager keeps one per method")
        elif (address := to if method == "email" else _phone(to)) is None:
            plan.note(source, f"{method} number {to!r} is not a valid phone number: left out")
        else:
            found[method] = address
    return found


def _phone(to: str) -> str | None:
    """Opsgenie writes numbers as `countrycode-number` (`33-612345678`); Pager wants E.164."""
    try:
        return normalise_phone(to if to.startswith("+") else f"+{to}")
    except ValueError:
        return None


def _written(contacts: dict[str, str]) -> dict[str, str]:
    """The contacts as config keys: one `phone` when texts and calls go to the same number."""
    written = dict(contacts)
    if written.get("sms") and written.get("sms") == written.get("voice"):
        written["phone"] = written.pop("sms")
        del written["voice"]
    return written


def _notify(api: Api, plan: Plan, user_id: str, channels: set[str], source: str) -> list[dict[str, str]]:
    """The steps of the user's rule for new alerts: the first unconditional one, else the first."""
    rules = listed(api, f"/v2/users/{user_id}/notification-rules")
    enabled = [r for r in rules if r.get("enabled", True) is not False]
    others = sorted({str(r.get("actionType")) for r in enabled if r.get("actionType") != "create-alert"})
    if others:
        plan.note(
            source,
            f"notification rules for {', '.join(others)} not carried over: Pager notifies of pages only",
        )
    creating = sorted(
        (r for r in enabled if r.get("actionType") == "create-alert"), key=lambda r: int(r.get("order") or 0)
    )
    details = [detail(api, f"/v2/users/{user_id}/notification-rules/{r.get('id')}") for r in creating]
    if not details:
        return []
    chosen = next((rule for rule in details if _unconditional(rule)), details[0])
    for rule in details:
        if rule is not chosen:
            plan.note(
                f"{source} notification rule {rule.get('name')!r}",
                f"not carried over: Pager has one set of steps per person, taken from {chosen.get('name')!r}",
            )
    return _steps(plan, chosen, channels, f"{source} notification rule {chosen.get('name')!r}")


def _unconditional(rule: dict[str, Any]) -> bool:
    criteria = rule.get("criteria")
    matches_all = not isinstance(criteria, dict) or criteria.get("type") in (None, "match-all")
    return matches_all and not rule.get("timeRestriction")


def _steps(plan: Plan, rule: dict[str, Any], channels: set[str], source: str) -> list[dict[str, str]]:
    if not _unconditional(rule):
        plan.note(source, "its conditions and hours are dropped: the steps apply to every page")
    repeat = rule.get("repeat")
    if isinstance(repeat, dict) and repeat.get("enabled"):
        plan.note(source, f"repeating the steps every {repeat.get('loopAfter')} min is not carried over")
    steps: list[dict[str, str]] = []
    for step in rule.get("steps") or []:
        if not isinstance(step, dict) or step.get("enabled") is False:
            continue
        contact = step.get("contact")
        method = str(contact.get("method")) if isinstance(contact, dict) else "?"
        after = delay(span(step.get("sendAfter")))
        if method == "mobile":
            plan.note(source, f"mobile app push at {after} not carried over: Pager has no app")
        elif method not in channels:
            plan.note(source, f"{method} step at {after} dropped: no usable {method} contact")
        else:
            steps.append({method: after})
    return steps
