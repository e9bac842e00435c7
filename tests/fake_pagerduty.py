"""A fake PagerDuty REST API v2: a real HTTP server on 127.0.0.1 serving tests/fixtures/pagerduty.

It answers GET as PagerDuty does (github.com/PagerDuty/api-schema, reference/REST/openapiv3.json): it checks
the API key, pages lists with offset and limit, expands users' contact methods and notification rules only
when include[] asks, wants a since and an until for overrides, and refuses in PagerDuty's error shape. It can
be told to rate-limit the next request of a path, and it records every request.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.local_http import Request, send_json, served

TOKEN = "u+fake-pagerduty-token-0123"
FIXTURES = Path(__file__).parent / "fixtures" / "pagerduty"

# Classic pagination: limit 25 unless asked, at most 100; offset + limit above 10,000 is refused with a 400:
# https://developer.pagerduty.com/docs/ZG9jOjExMDI5NTU4-pagination (and python-pagerduty's ITERATION_LIMIT).
DEFAULT_LIMIT = 25
MAX_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000
LISTS = {
    "/users": "users",
    "/schedules": "schedules",
    "/escalation_policies": "escalation_policies",
    "/services": "services",
}
_DOCUMENTS = re.compile(r"/schedules/\w+|/services/\w+/integrations/\w+")
_OVERRIDES = re.compile(r"/schedules/\w+/overrides")

Answer = tuple[int, dict[str, str], dict[str, Any]]


def error(message: str, code: int | None = None, errors: list[str] | None = None) -> dict[str, Any]:
    """PagerDuty's "generic error response" (openapiv3.json, components/responses): message, code, errors."""
    body: dict[str, Any] = {"message": message}
    if code is not None:
        body["code"] = code
    if errors:
        body["errors"] = errors
    return {"error": body}


@dataclass
class FakePagerDuty:
    root: Path = FIXTURES
    token: str = TOKEN
    url: str = ""
    requests: list[Request] = field(default_factory=list)
    rate_limited: dict[str, int] = field(default_factory=dict)  # path -> ratelimit-reset of its next answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate_limit_next(self, path: str, reset_seconds: int) -> None:
        """The next authenticated GET of `path` gets a 429 saying to wait `reset_seconds`."""
        with self.lock:
            self.rate_limited[path] = reset_seconds

    def requested(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def answer(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Answer:
        with self.lock:
            self.requests.append(Request(path, query, headers))
            reset = self.rate_limited.pop(path, None) if self._authenticated(headers) else None
        if not self._authenticated(headers):
            # "Caller did not supply credentials or did not provide the correct credentials" (responses/401 of
            # openapiv3.json); 2006 is the code PagerDuty's error-code list gives a failed authentication.
            return 401, {}, error("Authentication failed", 2006)
        if reset is not None:
            # The 429 tells how long to wait in ratelimit-reset, in seconds:
            # https://support.pagerduty.com/main/docs/rest-api-rate-limits
            headers_out = {
                "ratelimit-limit": "960",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
            }
            return 429, headers_out, error("Rate Limit Exceeded")
        return self._route(path, query)

    def _authenticated(self, headers: dict[str, str]) -> bool:
        # securitySchemes.api_key: "The API Key with format `Token token=<API_KEY>`".
        return headers.get("authorization") == f"Token token={self.token}"

    def _route(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path in LISTS:
            return self._page(path, LISTS[path], query)
        if _OVERRIDES.fullmatch(path):
            return self._overrides(path, query)
        if _DOCUMENTS.fullmatch(path) and (document := self._document(path)) is not None:
            return 200, {}, document
        return 404, {}, error("Not Found", 2100)

    def _document(self, path: str) -> dict[str, Any] | None:
        file = self.root / f"{path.strip('/')}.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None

    def _page(self, path: str, key: str, query: dict[str, list[str]]) -> Answer:
        try:
            offset = int(query.get("offset", ["0"])[0])
            limit = min(int(query.get("limit", [str(DEFAULT_LIMIT)])[0]), MAX_LIMIT)
        except ValueError:
            return 400, {}, error("Invalid Input Provided", 2001, ["offset and limit must be integers"])
        if offset < 0 or limit < 1 or offset + limit > MAX_OFFSET_PLUS_LIMIT:
            return 400, {}, error("Invalid Input Provided", 2001, ["offset + limit must not exceed 10000"])
        everything = (self._document(path) or {}).get(key, [])
        found = everything[offset : offset + limit]
        if key == "users":
            found = [_user(user, set(query.get("include[]", []))) for user in found]
        total = len(everything) if query.get("total") == ["true"] else None
        more = offset + limit < len(everything)
        return 200, {}, {key: found, "limit": limit, "offset": offset, "more": more, "total": total}

    def _overrides(self, path: str, query: dict[str, list[str]]) -> Answer:
        if "since" not in query or "until" not in query:
            return 400, {}, error("Invalid Input Provided", 2001, ["since and until are required"])
        try:
            since, until = _instant(query["since"][0]), _instant(query["until"][0])
        except ValueError:
            return 400, {}, error("Invalid Input Provided", 2001, ["since and until must be ISO 8601 times"])
        document = self._document(path.removesuffix("/overrides"))
        if document is None:
            return 404, {}, error("Not Found", 2100)
        overflow = query.get("overflow") == ["true"]
        saved = (self._document(path) or {}).get("overrides", [])
        found = [_clipped(o, since, until, overflow) for o in saved if _overlaps(o, since, until)]
        return 200, {}, {"overrides": found}


def _user(user: dict[str, Any], include: set[str]) -> dict[str, Any]:
    """The user as listed: its contact methods and notification rules as references unless include[] asks."""
    shown = dict(user)
    if "contact_methods" not in include:
        shown["contact_methods"] = [_reference(m) for m in user.get("contact_methods", [])]
    if "notification_rules" not in include:
        shown["notification_rules"] = [_reference(r) for r in user.get("notification_rules", [])]
    return shown


def _reference(item: dict[str, Any]) -> dict[str, Any]:
    kept = {k: item.get(k) for k in ("id", "summary", "self", "html_url")}
    return {**kept, "type": f"{item['type']}_reference"}


def _instant(text: str) -> datetime:
    found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if found.tzinfo is None:
        raise ValueError(f"{text} has no offset")
    return found


def _overlaps(override: dict[str, Any], since: datetime, until: datetime) -> bool:
    return _instant(override["start"]) < until and _instant(override["end"]) > since


def _clipped(override: dict[str, Any], since: datetime, until: datetime, overflow: bool) -> dict[str, Any]:
    """Cut at the range's bounds "unless the parameter overflow=true is passed" (the `overflow` parameter)."""
    if overflow:
        return override
    start = max(_instant(override["start"]), since)
    end = min(_instant(override["end"]), until)
    return {**override, "start": start.isoformat(), "end": end.isoformat()}


def _handler(fake: FakePagerDuty) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = fake.answer(
                parts.path, parse_qs(parts.query, keep_blank_values=True), headers
            )
            send_json(self, status, body, extra, "application/json; charset=utf-8")

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running(fake: FakePagerDuty) -> Iterator[FakePagerDuty]:
    """The fake served on a free port of 127.0.0.1 for the duration of the block; its `url` set."""
    with served(_handler(fake)) as url:
        fake.url = url
        yield fake
