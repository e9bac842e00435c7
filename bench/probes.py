"""Where the harness sees pages and timelines: the server's page log and its database, read-only.

Pages are read where they arrive: at the fake Twilio server (`SmsPageProbe`, the time each request was
received) for the page-latency and timer scenarios, or from the console notifier's JSON log lines
(`LogPageProbe`) where a scenario sends to the log.
"""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Protocol

from sqlalchemy import func, select

from adapters.db import make_engine
from adapters.db.event_codec import decode
from adapters.db.tables import incidents, timeline
from bench.servers import Process
from domain.events import LevelPaged
from tests.fake_twilio import FakeTwilio, _handler

_INCIDENT = re.compile(r"#(\d+)")


class PageProbe(Protocol):
    def first_pages(self) -> dict[int, float]:
        """Incident id → wall-clock time (epoch seconds) the first page naming it reached its address."""
        ...

    def pages_to(self, address: str) -> int:
        """How many messages reached `address`."""
        ...


class LogPageProbe:
    """Pages as the console notifier logged them (one JSON line per message, ISO UTC timestamp)."""

    def __init__(self, server: Process) -> None:
        self._server = server

    def _pages(self) -> list[dict[str, object]]:
        return [e for e in self._server.log_entries() if e.get("event") == "page"]

    def first_pages(self) -> dict[int, float]:
        first: dict[int, float] = {}
        for page in self._pages():
            at = datetime.fromisoformat(str(page["timestamp"])).timestamp()
            for incident_id in page["incidents"]:  # type: ignore[attr-defined]
                first[int(incident_id)] = min(at, first.get(int(incident_id), at))
        return first

    def pages_to(self, address: str) -> int:
        return sum(1 for page in self._pages() if page.get("to") == address)


class TimedFakeTwilio(FakeTwilio):
    """The tests' fake Twilio API, noting when each message request was received (epoch seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[float, dict[str, str]]] = []

    def _handle(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, object], float]:
        at = time.time()
        answer = super()._handle(path, form)
        if answer[0] == 201 and path.endswith("/Messages.json"):
            with self.lock:
                self.received.append((at, form))
        return answer


class _Backlogged(ThreadingHTTPServer):
    # The standard library listens with a backlog of 5: connections arriving faster than its thread accepts
    # them are dropped and retried by the client's TCP a second later, which would show as pages a second
    # late. Twilio's API does not do that to its clients.
    request_queue_size = 1024


@contextmanager
def serving_timed() -> Iterator[TimedFakeTwilio]:
    """A TimedFakeTwilio behind a real HTTP server on a free port (`tests.fake_twilio.serving`, with a
    listen backlog that does not drop connections under the harness's load)."""
    fake = TimedFakeTwilio()
    server = _Backlogged(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


class SmsPageProbe:
    """Pages as the fake Twilio server received them; each SMS names its incidents as `#id`."""

    def __init__(self, fake: TimedFakeTwilio) -> None:
        self._fake = fake

    def _messages(self) -> list[tuple[float, dict[str, str]]]:
        with self._fake.lock:
            return list(self._fake.received)

    def first_pages(self) -> dict[int, float]:
        first: dict[int, float] = {}
        for at, form in self._messages():
            for incident_id in map(int, _INCIDENT.findall(form.get("Body", ""))):
                first[incident_id] = min(at, first.get(incident_id, at))
        return first

    def pages_to(self, address: str) -> int:
        return sum(1 for _, form in self._messages() if form.get("To") == address)

    def received(self) -> int:
        """How many messages arrived so far (cheap: the harness polls it while the pager works)."""
        with self._fake.lock:
            return len(self._fake.received)

    def arrivals(self) -> dict[str, list[float]]:
        """Number → when each message to it was received (epoch seconds), in order of arrival."""
        found: dict[str, list[float]] = defaultdict(list)
        for at, form in self._messages():
            found[form.get("To", "")].append(at)
        return dict(found)


@dataclass
class Escalations:
    """Per incident: the level-1 deadline and when each level-2 page happened."""

    deadlines: dict[int, datetime] = field(default_factory=dict)
    second_level: dict[int, list[datetime]] = field(default_factory=lambda: defaultdict(list))


class Database:
    """Read-only queries on a pager database, for checking outcomes after a scenario."""

    def __init__(self, url: str) -> None:
        self._engine = make_engine(url)

    def close(self) -> None:
        self._engine.dispose()

    def escalations(self) -> Escalations:
        found = Escalations()
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(timeline.c.incident_id, timeline.c.at, timeline.c.data).where(
                    timeline.c.kind == "LevelPaged"
                )
            )
            for incident_id, at, data in rows:
                event = decode("LevelPaged", at, data)
                assert isinstance(event, LevelPaged)
                if event.level == 1 and event.round == 0:
                    found.deadlines[incident_id] = event.ack_deadline
                elif event.level == 2 and event.round == 0:
                    found.second_level[incident_id].append(event.at)
        return found

    def incidents_of(self, service_id: str) -> list[int]:
        with self._engine.connect() as conn:
            query = select(incidents.c.id).where(incidents.c.service_id == service_id)
            return list(conn.execute(query).scalars())

    def events_of(self, incident_ids: list[int], kind: str) -> int:
        with self._engine.connect() as conn:
            query = select(func.count()).where(
                timeline.c.incident_id.in_(incident_ids), timeline.c.kind == kind
            )
            return int(conn.execute(query).scalar_one())
