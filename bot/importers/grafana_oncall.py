"""`pager import grafana-oncall`: a Pager config from Grafana OnCall's public API (v1).

Pass `--api-url`: the OnCall API URL shown in OnCall's settings (Settings > API; for a self-hosted engine,
the engine's own URL, by default http://localhost:8080). The token, in GRAFANA_ONCALL_API_TOKEN, is an OnCall
API key from the same page: personal notification rules can only be read with a user's key, not with a Grafana
service account token. Reference: https://grafana.com/docs/oncall/latest/oncall-api-reference/
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from bot.importers.api import Api, Fetch, ImportFailed, Paging, ident, reading, retry_after_header
from bot.importers.grafana_oncall_escalation import Targets, add_policies
from bot.importers.grafana_oncall_people import add_people
from bot.importers.grafana_oncall_schedules import add_rotations
from bot.importers.plan import Plan

NAME = "Grafana OnCall"
API_URL = "http://localhost:8080"
TOKEN_ENV = "GRAFANA_ONCALL_API_TOKEN"
# The paginators' max_page_size (engine/common/api_helpers/paginators.py); asked for with `perpage`.
MAX_PAGE_SIZE = 100
KEY = "results"
Item = dict[str, Any]

# Where a monitor that posted to an OnCall integration of each type posts to Pager instead.
WEBHOOKS = {
    "grafana_alerting": "/webhooks/grafana",
    "legacy_grafana_alerting": "/webhooks/grafana",
    "grafana": "/webhooks/grafana",
    "alertmanager": "/webhooks/alertmanager",
    "legacy_alertmanager": "/webhooks/alertmanager",
}


def headers(token: str) -> dict[str, str]:
    """The plain key, without a scheme: https://grafana.com/docs/oncall/latest/oncall-api-reference/#authentication"""
    return {"Authorization": token, "Accept": "application/json"}


class PageNumberPaging:
    """OnCall's page-number pages (`?page=N`, `perpage` items each), followed by their `next` links.

    Only the query of a `next` link is used, on the path asked for: the engine writes the link with its own
    BASE_URL setting, which behind a proxy may name a host the token should not be sent to.
    """

    def __init__(self, page_size: int = MAX_PAGE_SIZE) -> None:
        self.page_size = page_size

    def pages(self, fetch: Fetch, path: str, key: str, params: dict[str, Any]) -> Iterator[list[Item]]:
        query: dict[str, Any] = {**params, "perpage": self.page_size}
        seen: set[str] = set()
        while True:
            document = fetch(path, query)
            found = document.get(key) if isinstance(document, dict) else None
            if not isinstance(found, list):
                raise ImportFailed(f"GET {path}: the answer has no {key!r} list")
            yield found
            following = document.get("next")
            page = dict(parse_qsl(urlsplit(str(following)).query)).get("page") if following else None
            # Past the last page the engine answers the last page again: stop on any page already asked for,
            # and on an empty one whatever its link says.
            if page is None or page in seen or not found:
                return
            seen.add(page)
            query = {**query, "page": page}


def paging(page_size: int = MAX_PAGE_SIZE) -> Paging:
    return PageNumberPaging(page_size)


def describe_error(response: requests.Response) -> str:
    """DRF's error body, `{"detail": "..."}`, or field errors as a mapping."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or f"HTTP {response.status_code}"
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return detail if isinstance(detail, str) else json.dumps(detail)[:300]


def retry_after(response: requests.Response) -> float | None:
    """DRF's Retry-After, else the engine's own RateLimit-Reset (seconds), on a throttled request."""
    found = retry_after_header(response)
    if found is not None:
        return found
    try:
        return max(0.0, float(response.headers.get("RateLimit-Reset", "")))
    except ValueError:
        return None


def build_plan(api: Api, now: datetime) -> Plan:
    plan = Plan()
    people = add_people(plan, _list(api, "users"), _list(api, "personal_notification_rules"))
    rotations = add_rotations(plan, _list(api, "schedules"), _list(api, "on_call_shifts"), people, now)
    chains, steps = _list(api, "escalation_chains"), _list(api, "escalation_policies")
    policies = add_policies(plan, chains, steps, Targets(people, rotations))
    add_services(plan, _list(api, "integrations"), _list(api, "routes"), policies)
    return plan


def _list(api: Api, endpoint: str) -> list[Item]:
    return api.items(f"/api/v1/{endpoint}", KEY)


def add_services(
    plan: Plan, integrations: list[Item], routes: list[Item], policies: Mapping[str, str]
) -> None:
    """A service for each integration whose default route escalates, with a new key and where to use it."""
    for integration in integrations:
        with reading(f"Grafana OnCall integration {ident(integration)}"):
            name = str(integration.get("name") or integration["id"])
            source = f"integration {integration['id']} ({name})"
            kind = str(integration.get("type"))
            if kind == "direct_paging":
                plan.note(
                    source, "direct paging is not carried: page people from Slack or Pager's API instead"
                )
                continue
            chain = str((integration.get("default_route") or {}).get("escalation_chain_id"))
            if chain not in policies:
                plan.note(
                    source,
                    f"its default route escalates to {chain or 'nothing'}, not carried: no service made",
                )
                continue
            service_id = plan.new_id("services", name)
            key = secrets.token_urlsafe(24)
            plan.services[service_id] = {
                "name": name,
                "escalation_policy": policies[chain],
                "integration_keys": [key],
            }
            plan.mapped(source, f"services.{service_id}")
            plan.note(source, _where_to_point(integration, kind, service_id))
            _note_routes(plan, source, integration, routes)


def _where_to_point(integration: Item, kind: str, service_id: str) -> str:
    key = f"services.{service_id}.integration_keys"
    if kind == "inbound_email":
        address = integration.get("inbound_email")
        return (
            f"Pager reads no email: mail to {address} needs a relay posting to /webhooks/generic with {key}"
        )
    path = WEBHOOKS.get(kind, "/webhooks/generic")
    return (
        f"its OnCall URL {_masked(integration.get('link'))} holds OnCall's secret, which Pager cannot keep: "
        f"point that {kind} sender at Pager's {path} with the new key in {key} (Authorization: Bearer <key>)"
    )


def _masked(link: object) -> str:
    """The integration URL without its secret last part, enough to find where it is configured."""
    text = str(link or "")
    head, _, _secret = text.rstrip("/").rpartition("/")
    return f"{head}/…/" if head else "(none)"


def _note_routes(plan: Plan, source: str, integration: Item, routes: list[Item]) -> None:
    for route in routes:
        if route.get("integration_id") == integration["id"] and not route.get("is_the_last_route"):
            chain, matching = route.get("escalation_chain_id"), route.get("routing_regex")
            plan.note(
                f"route {route['id']} of {source}",
                f"alerts matching {matching!r} escalate by chain {chain} in OnCall; Pager sends all of a"
                " service's alerts to one policy: not carried",
            )
