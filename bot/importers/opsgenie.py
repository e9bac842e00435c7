"""Import from Opsgenie's REST API: users, schedules, overrides, escalations and services into a Pager config.

The API key (an API integration's key, or one from API key management with read and configuration access) is
read from $OPSGENIE_API_KEY. Accounts on Opsgenie's EU instance use `--api-url https://api.eu.opsgenie.com`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import requests

from bot.importers.api import Api, Fetch, Paging, retry_after_header
from bot.importers.opsgenie_people import import_people
from bot.importers.opsgenie_policies import import_escalations
from bot.importers.opsgenie_schedules import import_schedules
from bot.importers.opsgenie_services import import_services
from bot.importers.plan import Plan

NAME = "Opsgenie"
API_URL = "https://api.opsgenie.com"
EU_API_URL = "https://api.eu.opsgenie.com"
TOKEN_ENV = "OPSGENIE_API_KEY"
# "limit: Must be a positive integer value. Default value is 20 and maximum value is 100."
# https://docs.opsgenie.com/docs/pagination
MAX_PAGE_SIZE = 100


def headers(token: str) -> dict[str, str]:
    """Opsgenie authenticates REST calls with `Authorization: GenieKey <key>`:
    https://docs.opsgenie.com/docs/authentication"""
    return {"Authorization": f"GenieKey {token}", "Accept": "application/json"}


class OpsgeniePaging:
    """Offset paging: the first page asked with `offset=0&limit=N`, the next ones by following the absolute
    URL in the answer's `paging.next`, until a page has none: https://docs.opsgenie.com/docs/pagination"""

    def __init__(self, page_size: int = MAX_PAGE_SIZE) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be 1 to {MAX_PAGE_SIZE}")
        self.page_size = page_size

    def pages(
        self, fetch: Fetch, path: str, key: str, params: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        document = fetch(path, {**params, "offset": 0, "limit": self.page_size})
        followed: set[str] = set()
        while True:
            found = document.get(key) if isinstance(document, dict) else None
            page = found if isinstance(found, list) else []
            yield page
            following = _next_link(document)
            # An empty page or a link seen before ends the walk rather than loop forever.
            if not page or following is None or following in followed:
                return
            followed.add(following)
            document = fetch(following, None)


def _next_link(document: Any) -> str | None:
    paging = document.get("paging") if isinstance(document, dict) else None
    following = paging.get("next") if isinstance(paging, dict) else None
    return following if isinstance(following, str) and following else None


def paging(page_size: int = MAX_PAGE_SIZE) -> Paging:
    return OpsgeniePaging(page_size)


def describe_error(response: requests.Response) -> str:
    """Opsgenie's error body is `{"message": ..., "took": ..., "requestId": ...}`:
    https://docs.opsgenie.com/docs/response"""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        request = body.get("requestId")
        return f"{body['message']} (request {request})" if request else str(body["message"])
    return response.reason or f"HTTP {response.status_code}"


def retry_after(response: requests.Response) -> float | None:
    """Opsgenie marks a throttled answer with X-RateLimit-State: THROTTLED and names the bucket that ran out
    in X-RateLimit-Period-In-Sec (60 for the minute's, 1 for the second's); that period is the wait. A
    Retry-After header, should one come, is honoured too: https://docs.opsgenie.com/docs/api-rate-limiting"""
    period = response.headers.get("X-RateLimit-Period-In-Sec", "").strip()
    if period.isdigit():
        return float(period)
    return retry_after_header(response)


def build_plan(api: Api, now: datetime) -> Plan:
    """The Pager config the Opsgenie account at `api` comes to, as of `now`."""
    plan = Plan()
    people = import_people(api, plan)
    schedules = import_schedules(api, plan, people, now)
    policies = import_escalations(api, plan, people, schedules)
    import_services(api, plan, policies, schedules)
    return plan
