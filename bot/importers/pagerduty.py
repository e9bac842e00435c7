"""`pager import pagerduty`: people, schedules, policies and services read from PagerDuty's REST API v2.

API reference: https://developer.pagerduty.com/api-reference/ (its OpenAPI text:
github.com/PagerDuty/api-schema, reference/REST/openapiv3.json). Users are read in pagerduty_people.py,
schedules in pagerduty_schedules.py, escalation policies and services in pagerduty_services.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from bot.importers.api import Api, Fetch, ImportFailed, retry_after_header
from bot.importers.pagerduty_people import add_people
from bot.importers.pagerduty_schedules import add_rotations
from bot.importers.pagerduty_services import add_policies, add_services
from bot.importers.plan import Plan

NAME = "PagerDuty"
API_URL = "https://api.pagerduty.com"
TOKEN_ENV = "PAGERDUTY_API_TOKEN"

# Classic pagination: `limit` is at most 100, and offset + limit may not pass 10,000 (PagerDuty answers 400):
# https://developer.pagerduty.com/docs/ZG9jOjExMDI5NTU4-pagination
MAX_PAGE_SIZE = 100
MAX_OFFSET_PLUS_LIMIT = 10_000


def headers(token: str) -> dict[str, str]:
    """The API key "with format `Token token=<API_KEY>`", and the Accept header "used as a versioning header"
    (securitySchemes and parameters of github.com/PagerDuty/api-schema reference/REST/openapiv3.json)."""
    return {"Authorization": f"Token token={token}", "Accept": "application/vnd.pagerduty+json;version=2"}


@dataclass(frozen=True)
class OffsetPaging:
    """PagerDuty's classic pagination: `offset` and `limit` asked, `more` answered while items remain."""

    page_size: int = MAX_PAGE_SIZE

    def pages(
        self, fetch: Fetch, path: str, key: str, params: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        offset = 0
        while True:
            limit = min(self.page_size, MAX_OFFSET_PLUS_LIMIT - offset)
            if limit <= 0:
                raise ImportFailed(
                    f"GET {path}: PagerDuty lists at most {MAX_OFFSET_PLUS_LIMIT:,} {key} to one query"
                )
            document = fetch(path, {**params, "offset": offset, "limit": limit})
            found = document.get(key) if isinstance(document, dict) else None
            if not isinstance(found, list):
                raise ImportFailed(f"GET {path}: the answer has no {key!r} list")
            yield found
            if not document.get("more") or not found:
                return
            offset += len(found)


def paging(page_size: int = MAX_PAGE_SIZE) -> OffsetPaging:
    return OffsetPaging(max(1, min(page_size, MAX_PAGE_SIZE)))


def describe_error(response: requests.Response) -> str:
    """PagerDuty's "generic error response" `{"error": {"message", "code", "errors": [...]}}` (openapiv3.json,
    components/responses) as one line. A 401 may come without a JSON body: github.com/PagerDuty/go-pagerduty
    issue 553."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return response.reason or "no detail given"
    text = str(error.get("message") or response.reason or "error")
    if error.get("code") is not None:
        text += f" (code {error['code']})"
    details = [str(d) for d in error.get("errors") or [] if d]
    return text + (": " + "; ".join(details) if details else "")


def retry_after(response: requests.Response) -> float | None:
    """The wait after a 429: "the ratelimit-reset header will let you know how many seconds to wait before
    retrying" (https://support.pagerduty.com/main/docs/rest-api-rate-limits); Retry-After if it is absent."""
    value = response.headers.get("ratelimit-reset")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    return retry_after_header(response)


def build_plan(api: Api, now: datetime) -> Plan:
    """The Pager config PagerDuty's account describes, as it stands at `now`."""
    plan = Plan()
    # include[] expands the users' contact methods and notification rules, else only references to them.
    users = api.items("/users", "users", {"include[]": ["contact_methods", "notification_rules"]})
    people = add_people(plan, users)
    rotations = add_rotations(plan, api, now, people)
    policies = add_policies(plan, api.items("/escalation_policies", "escalation_policies"), people, rotations)
    add_services(plan, api, api.items("/services", "services"), policies)
    return plan
