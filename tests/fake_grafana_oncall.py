"""A fake Grafana OnCall public API (v1): a real HTTP server on 127.0.0.1 serving lists from fixtures.

It answers as the OnCall engine does (grafana/oncall, engine/apps/public_api): the plain API key in
`Authorization`, page-number pages with `next` links, DRF's `{"detail": ...}` error body, and a throttled
request's 429 with Retry-After. It records every request so tests can check what the client sent.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.local_http import send_json, served

FIXTURES = Path(__file__).parent / "fixtures" / "grafana_oncall"
API_TOKEN = "c2f1d6e8a4b94e0f8d3a7b1c5e9f2a6d4b8c0e3f7a1d5b9c2e6f0a4d8b3c7e1f"
_PREFIX = "/api/v1/"

# Each list view's paginator (engine/apps/public_api/views/*.py, pagination_class; page sizes in
# engine/common/api_helpers/paginators.py): users 100, routes 25, the others 50.
DEFAULT_PAGE_SIZES = {
    "users": 100,
    "personal_notification_rules": 50,
    "schedules": 50,
    "on_call_shifts": 50,
    "escalation_chains": 50,
    "escalation_policies": 50,
    "integrations": 50,
    "routes": 25,
}
# paginators.py: `page_size_query_param = "perpage"`, `max_page_size = 100`; the page is `?page=N`, and a
# page past the last answers the last page (EmptyPage -> paginator.page(num_pages)).
PER_PAGE_PARAM = "perpage"
MAX_PAGE_SIZE = 100

Answer = tuple[int, dict[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class FakeGrafanaOnCall:
    fixtures: Path = FIXTURES
    token: str = API_TOKEN
    url: str = ""
    page_sizes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PAGE_SIZES))
    requests: list[Request] = field(default_factory=list)
    # endpoint -> seconds: the next request to it is throttled once, with that Retry-After.
    throttle_next: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(self, endpoint: str, seconds: int) -> None:
        """The next request to `endpoint` (e.g. "schedules") answers 429 with `Retry-After: seconds`."""
        with self.lock:
            self.throttle_next[endpoint] = seconds

    def served(self, endpoint: str) -> list[Request]:
        """The requests made to one endpoint, in order."""
        return [r for r in self.requests if r.path.rstrip("/") == _PREFIX + endpoint]

    def answer(self, target: str, authorization: str | None) -> Answer:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self.lock:
            self.requests.append(Request(parts.path, query, authorization))
        # ApiTokenAuthentication compares the whole header with the key: no "Bearer" scheme. A wrong or
        # missing key raises AuthenticationFailed("Invalid token."), which DRF answers 403, not 401, as the
        # view's authenticators define no authenticate_header (engine/apps/auth_token/auth.py; docs:
        # https://grafana.com/docs/oncall/latest/oncall-api-reference/#authentication).
        if authorization != self.token:
            return 403, {}, {"detail": "Invalid token."}
        endpoint = parts.path.removeprefix(_PREFIX).rstrip("/")  # OptionalSlashRouter: with or without "/"
        if not parts.path.startswith(_PREFIX) or endpoint not in self.page_sizes:
            return 404, {}, {"detail": "Not found."}
        if (wait := self._throttled(endpoint)) is not None:
            # UserThrottle (300 requests a minute per key) raises Throttled: DRF adds Retry-After, and
            # RateLimitHeadersMixin RateLimit-Reset (engine/common/api_helpers/mixins.py).
            headers = {"Retry-After": str(wait), "RateLimit-Reset": str(wait)}
            return 429, headers, {"detail": f"Request was throttled. Expected available in {wait} seconds."}
        return 200, {}, self._page(endpoint, parts.path, query)

    def _throttled(self, endpoint: str) -> int | None:
        with self.lock:
            return self.throttle_next.pop(endpoint, None)

    def _page(self, endpoint: str, path: str, query: dict[str, str]) -> dict[str, Any]:
        """One page in PathPrefixedPagePagination's shape: https://grafana.com/docs/oncall/latest/oncall-api-reference/#pagination"""
        items = json.loads((self.fixtures / "api" / "v1" / f"{endpoint}.json").read_text())["results"]
        size = _positive(query.get(PER_PAGE_PARAM), self.page_sizes[endpoint])
        size = min(size, MAX_PAGE_SIZE)
        pages = max(1, math.ceil(len(items) / size))
        number = min(_positive(query.get("page"), 1), pages)
        return {
            "count": len(items),
            "next": self._link(path, query, number + 1) if number < pages else None,
            "previous": self._link(path, query, number - 1) if number > 1 else None,
            "results": items[(number - 1) * size : number * size],
            "page_size": size,
            "current_page_number": number,
            "total_pages": pages,
        }

    def _link(self, path: str, query: dict[str, str], page: int) -> str:
        """An absolute link as the engine writes it: its BASE_URL, the path, the query with another page."""
        return f"{self.url}{path}?{urlencode({**query, 'page': page})}"


def _positive(value: str | None, default: int) -> int:
    """A query number as the paginator reads it: not a number, or below 1, means the default."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number >= 1 else default


def _handler(fake: FakeGrafanaOnCall) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = fake.answer(self.path, self.headers.get("Authorization"))
            send_json(self, status, body, headers)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_fake_grafana_oncall(token: str = API_TOKEN) -> Iterator[FakeGrafanaOnCall]:
    """A fake OnCall engine that accepts only `token`, behind a real HTTP server on a free port."""
    fake = FakeGrafanaOnCall(token=token)
    with served(_handler(fake)) as url:
        fake.url = url
        yield fake
