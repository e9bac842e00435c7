"""A fake Opsgenie REST API: a real HTTP server on 127.0.0.1 serving tests/fixtures/opsgenie as Opsgenie does.

The fixture directory is laid out as the importer's DirApi reads it (`/v2/users` is `v2/users.json`), so the
same files serve this fake and `--from-dir`. The fake checks the GenieKey header, pages the paged lists by
offset and limit with `paging.next` links, answers bad keys and unknown paths with Opsgenie's error body,
throttles the first request of chosen paths with a 429, and records every request.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.local_http import Request, send_json, served

FIXTURES = Path(__file__).parent / "fixtures" / "opsgenie"
API_KEY = "3f8a1c52-7d4e-4b9a-9e21-5c6d7e8f9a0b"

# The list endpoints Opsgenie pages by offset and limit: List Users (https://docs.opsgenie.com/docs/user-api)
# and List Services (https://docs.opsgenie.com/docs/service-api); schedules, escalations, integrations, teams,
# contacts, overrides and notification rules come in one piece.
PAGED = ("/v2/users", "/v1/services")
# "limit: Must be a positive integer value. Default value is 20 and maximum value is 100."
# https://docs.opsgenie.com/docs/pagination (refused here rather than capped, so a client asking more fails)
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# A throttled answer: 429 with X-RateLimit-State THROTTLED, the bucket's source in X-RateLimit-Reason and its
# period (60 for the minute's bucket, 1 for the second's) in X-RateLimit-Period-In-Sec:
# https://docs.opsgenie.com/docs/api-rate-limiting
THROTTLED_HEADERS = {
    "X-RateLimit-State": "THROTTLED",
    "X-RateLimit-Reason": "ACCOUNT",
    "X-RateLimit-Period-In-Sec": "60",
}

Answer = tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class FakeOpsgenie:
    root: Path = FIXTURES
    api_key: str = API_KEY
    url: str = ""
    throttle_first: set[str] = field(default_factory=lambda: {"/v2/escalations"})
    requests: list[Request] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def answer(self, target: str, headers: dict[str, str]) -> Answer:
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query, keep_blank_values=True)
        with self.lock:
            self.requests.append(Request(path, query, headers))
        # REST calls carry `Authorization: GenieKey <key>`; a wrong or missing key is a 401
        # (https://docs.opsgenie.com/docs/authentication, https://docs.opsgenie.com/docs/response).
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if authorization != f"GenieKey {self.api_key}":
            return _error(401, "Could not authenticate")
        with self.lock:
            throttle = path in self.throttle_first and path not in self.throttled
            if throttle:
                self.throttled.append(path)
        if throttle:
            return 429, _body({"message": "TooManyRequests"}), dict(THROTTLED_HEADERS)
        return self._page(path, query) if path in PAGED else self._document(path, query)

    def _document(self, path: str, query: dict[str, list[str]]) -> Answer:
        document = self._read(path)
        if document is None:
            return _error(404, f"Could not find the resource at {path}")
        # Rotations are listed with their schedules only on `expand=rotation`: https://docs.opsgenie.com/docs/schedule-api
        if path == "/v2/schedules" and "rotation" not in ",".join(query.get("expand", [])).split(","):
            document["data"] = [{k: v for k, v in s.items() if k != "rotations"} for s in document["data"]]
        return 200, document, {}

    def _page(self, path: str, query: dict[str, list[str]]) -> Answer:
        document = self._read(path)
        assert document is not None, f"no fixture for {path}"
        try:
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", [str(DEFAULT_LIMIT)])[0])
        except ValueError:
            return _error(422, "offset and limit must be integers")
        if offset < 0 or not 1 <= limit <= MAX_LIMIT:
            return _error(422, f"limit must be between 1 and {MAX_LIMIT}, offset not negative")
        items = document["data"]
        page = {
            "data": items[offset : offset + limit],
            "totalCount": len(items),
            "paging": self._links(path, query, offset, limit, len(items)),
        }
        return 200, _body(page), {}

    def _links(
        self, path: str, query: dict[str, list[str]], offset: int, limit: int, total: int
    ) -> dict[str, str]:
        """Absolute next/prev/first/last links with the request's other parameters: https://docs.opsgenie.com/docs/pagination"""
        kept = {k: v[0] for k, v in query.items() if k not in ("offset", "limit")}

        def link(at: int) -> str:
            return f"{self.url}{path}?{urlencode({**kept, 'offset': at, 'limit': limit})}"

        links = {"first": link(0), "last": link(max(0, (total - 1) // limit * limit))}
        if offset + limit < total:
            links["next"] = link(offset + limit)
        if offset > 0:
            links["prev"] = link(max(0, offset - limit))
        return links

    def _read(self, path: str) -> dict[str, Any] | None:
        relative = path.strip("/")
        if not relative or ".." in relative.split("/"):
            return None
        file = self.root / f"{relative}.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else None


def _body(fields: dict[str, Any]) -> dict[str, Any]:
    """Every answer carries `took` (seconds) and `requestId`: https://docs.opsgenie.com/docs/response"""
    return {**fields, "took": 0.004, "requestId": str(uuid.uuid4())}


def _error(status: int, message: str) -> Answer:
    """Opsgenie's error body: `{"message": ..., "took": ..., "requestId": ...}`: https://docs.opsgenie.com/docs/response"""
    return status, _body({"message": message}), {}


def _handler(fake: FakeOpsgenie) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = fake.answer(self.path, dict(self.headers.items()))
            send_json(self, status, body, {"X-Request-ID": str(body["requestId"]), **headers})

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def running_fake_opsgenie(fake: FakeOpsgenie | None = None) -> Iterator[FakeOpsgenie]:
    """`fake` (by default one serving the fixtures to API_KEY) behind a real HTTP server on a free port."""
    opsgenie = fake or FakeOpsgenie()
    with served(_handler(opsgenie)) as url:
        opsgenie.url = url
        yield opsgenie
