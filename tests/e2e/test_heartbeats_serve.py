"""Heartbeats on a real `pager serve`: silence pages once and the next ping resolves, across a SIGKILL too;
a paused heartbeat never pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.processes import Server, wait_for

KEY = "backups-key-0123456789"
TOKEN = "heartbeat-test-token"
CONFIG = f"""
escalation_policies:
  nightly-policy:
    levels: [{{targets: ["email:nightly@example.com"], ack_timeout: 1h}}]
  weekly-policy:
    levels: [{{targets: ["email:weekly@example.com"], ack_timeout: 1h}}]
services:
  nightly: {{name: Nightly, escalation_policy: nightly-policy, integration_keys: ["{KEY}"]}}
  weekly: {{name: Weekly, escalation_policy: weekly-policy}}
heartbeats:
  nightly-backup: {{service: nightly, interval: 2s, grace: 1s, summary: Nightly backup did not report}}
  weekly-report: {{service: weekly, interval: 2s, grace: 1s}}
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    s = Server(tmp_path, {"PAGER_DATABASE_URL": database_url, "PAGER_API_TOKEN": TOKEN}, CONFIG)
    yield s
    s.stop()


def ping(server: Server) -> None:
    answer = httpx2.post(
        f"{server.url}/heartbeats/nightly-backup", headers={"Authorization": f"Bearer {KEY}"}
    )
    assert answer.status_code == 202, answer.text


def api(server: Server, method: str, path: str) -> Any:
    answer = httpx2.request(method, f"{server.url}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def pages(server: Server, address: str) -> int:
    return sum(server.pages_to(address, run) for run in range(len(server.runs)))


def test_silence_pages_once_after_interval_and_grace_and_the_next_ping_resolves(server: Server) -> None:
    server.start()
    api(server, "POST", "/api/heartbeats/weekly-report/pause")
    ping(server)
    time.sleep(2)  # within interval + grace of the ping
    assert pages(server, "nightly@example.com") == 0

    wait_for(lambda: pages(server, "nightly@example.com") == 1, 15, "the page of the silent heartbeat")
    time.sleep(3)  # room for a second page, if there were one
    assert pages(server, "nightly@example.com") == 1
    [incident] = api(server, "GET", "/api/incidents")["incidents"]
    assert incident["summary"] == "Nightly backup did not report"

    ping(server)
    resolved = api(server, "GET", f"/api/incidents/{incident['id']}")
    assert (resolved["state"], resolved["resolved_by"]) == ("resolved", "heartbeat")


def test_a_pager_killed_across_the_expiry_pages_once_after_restart(server: Server) -> None:
    server.start()
    api(server, "POST", "/api/heartbeats/weekly-report/pause")
    ping(server)
    server.kill()
    time.sleep(4)  # the heartbeat's 3 s pass while nothing runs

    server.start()
    wait_for(lambda: server.pages_to("nightly@example.com", 1) == 1, 20, "the page after restart")
    time.sleep(3)

    assert pages(server, "nightly@example.com") == 1
    assert len(api(server, "GET", "/api/incidents")["incidents"]) == 1


def test_a_paused_heartbeat_never_pages(server: Server) -> None:
    server.start()
    api(server, "POST", "/api/heartbeats/weekly-report/pause")

    wait_for(lambda: pages(server, "nightly@example.com") == 1, 20, "the unpaused heartbeat's page")
    time.sleep(2)

    assert pages(server, "weekly@example.com") == 0
    states = {h["name"]: h["state"] for h in api(server, "GET", "/api/heartbeats")}
    assert states == {"nightly-backup": "overdue", "weekly-report": "paused"}
