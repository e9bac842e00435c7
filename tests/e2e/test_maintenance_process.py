"""Maintenance windows on a real `pager serve` (SQLite and PostgreSQL): alerts kept quiet during a window;
one still firing at its end pages then, once, also across a SIGKILL around the end; one resolved never does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.processes import Server, wait_for

TOKEN = "maintenance-test-token"
KEYS = {"db": "db-maintenance-key", "cache": "cache-maintenance-key"}
LEVEL_1 = {"db": "db-level1@example.com", "cache": "cache-level1@example.com"}


def config(maintenance: str = "") -> str:
    return f"""
people:
  alice: {{name: Alice, email: alice@example.com}}
escalation_policies:
  db: {{levels: [{{targets: ["email:{LEVEL_1["db"]}"], ack_timeout: 1h}}]}}
  cache: {{levels: [{{targets: ["email:{LEVEL_1["cache"]}"], ack_timeout: 1h}}]}}
services:
  db: {{name: Database, escalation_policy: db, integration_keys: ["{KEYS["db"]}"]}}
  cache: {{name: Cache, escalation_policy: cache, integration_keys: ["{KEYS["cache"]}"]}}
{maintenance}"""


pytestmark = pytest.mark.slow


def alert(server: Server, service: str, key: str, status: str = "firing") -> str:
    body = {"summary": f"{service} {key} down", "dedup_key": key, "status": status}
    answer = httpx2.post(
        f"{server.url}/webhooks/generic", json=body, headers={"Authorization": f"Bearer {KEYS[service]}"}
    )
    assert answer.status_code == 202, answer.text
    result: str = answer.json()["result"]
    return result


def api(server: Server, method: str, path: str, body: object | None = None) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx2.request(method, f"{server.url}{path}", json=body, headers=headers, timeout=10)
    assert answer.status_code < 300, answer.text
    return answer.json()


def open_window(server: Server, seconds: int) -> datetime:
    body = {"services": ["db", "cache"], "duration": f"{seconds}s", "reason": "deploy", "by": "alice"}
    window = api(server, "POST", "/api/maintenance", body)
    return datetime.fromisoformat(window["to"])


def pages(server: Server, service: str) -> int:
    return sum(server.pages_to(LEVEL_1[service], run) for run in range(len(server.runs)))


def page_times(server: Server, service: str) -> list[datetime]:
    entries = [e for run in range(len(server.runs)) for e in server.log_entries(run)]
    return [
        datetime.fromisoformat(e["timestamp"])
        for e in entries
        if e.get("event") == "page" and e.get("to") == LEVEL_1[service]
    ]


def incident_keys(server: Server) -> dict[str, list[str]]:
    """Each incident's service and the dedup keys of the alerts it received."""
    found: dict[str, list[str]] = {}
    for incident in api(server, "GET", "/api/incidents?status=all")["incidents"]:
        timeline = api(server, "GET", f"/api/incidents/{incident['id']}")["timeline"]
        keys = [e["data"]["dedup_key"] for e in timeline if e["kind"] == "AlertReceived"]
        found.setdefault(incident["service_id"], []).extend(keys)
    return found


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    s = Server(tmp_path, {"PAGER_DATABASE_URL": database_url, "PAGER_API_TOKEN": TOKEN}, config())
    yield s
    s.stop()


def test_alerts_during_a_window_are_kept_and_the_one_still_firing_pages_at_its_end(server: Server) -> None:
    server.start()
    ends = open_window(server, 4)

    results = [alert(server, "db", "disk"), alert(server, "cache", "evictions")]
    results.append(alert(server, "cache", "evictions", "resolved"))
    kept = api(server, "GET", "/api/maintenance")["suppressed"]
    time.sleep(1)
    quiet_during = pages(server, "db") + pages(server, "cache")
    wait_for(lambda: pages(server, "db") == 1, 20, "the page at the window's end")
    time.sleep(3)  # room for a second page, if there were one

    assert results == ["suppressed", "suppressed", "suppressed"]
    assert [(a["service_id"], a["dedup_key"]) for a in kept] == [("db", "disk")]
    assert quiet_during == 0
    assert (pages(server, "db"), pages(server, "cache")) == (1, 0)
    [paged_at] = page_times(server, "db")
    assert ends <= paged_at < ends + timedelta(seconds=5)
    assert incident_keys(server) == {"db": ["disk"]}


def test_a_pager_killed_across_the_end_pages_once_after_restart(server: Server) -> None:
    server.start()
    ends = open_window(server, 3)
    assert alert(server, "db", "disk") == "suppressed"

    server.kill()
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 1)  # the end passes while down
    server.start()
    wait_for(lambda: server.pages_to(LEVEL_1["db"], 1) == 1, 20, "the page after restart")
    time.sleep(3)

    assert (server.pages_to(LEVEL_1["db"], 0), pages(server, "db"), pages(server, "cache")) == (0, 1, 0)
    assert incident_keys(server) == {"db": ["disk"]}


def test_a_pager_killed_just_after_the_end_pages_once_in_all(server: Server) -> None:
    server.start()
    ends = open_window(server, 3)
    alert(server, "db", "disk")
    wait_for(lambda: pages(server, "db") == 1, 20, "the page at the window's end")

    server.kill()
    server.start()
    time.sleep(4)  # the restarted engine runs its passes over the ended window

    assert pages(server, "db") == 1
    assert datetime.now(UTC) > ends
    assert incident_keys(server) == {"db": ["disk"]}


def test_a_window_of_the_config_keeps_alerts_quiet_and_pages_at_its_end(
    tmp_path: Path, database_url: str
) -> None:
    start, end = datetime.now(UTC), datetime.now(UTC) + timedelta(seconds=20)
    window = f"maintenance:\n  - {{services: [db], from: '{start.isoformat()}', to: '{end.isoformat()}'}}\n"
    server = Server(tmp_path, {"PAGER_DATABASE_URL": database_url, "PAGER_API_TOKEN": TOKEN}, config(window))
    try:
        server.start()
        listed = api(server, "GET", "/api/maintenance")["windows"]
        result = alert(server, "db", "disk")
        wait_for(lambda: pages(server, "db") == 1, 40, "the page at the config window's end")

        assert [(w["services"], w["created_by"]) for w in listed] == [(["db"], "config")]
        assert result == "suppressed"
        [paged_at] = page_times(server, "db")
        assert paged_at >= end
    finally:
        server.stop()
