"""A real `pager serve` killed with SIGKILL mid-escalation and restarted after the deadline escalates once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.processes import Server, wait_for

KEY = "crash-test-key"
TOKEN = "crash-test-token"
CONFIG = f"""
escalation_policies:
  fast:
    levels:
      - targets: [email:level1@example.com]
        ack_timeout: 3s
      - targets: [email:level2@example.com]
        ack_timeout: 1h
services:
  db: {{name: Database, escalation_policy: fast, integration_keys: ["{KEY}"]}}
"""

pytestmark = pytest.mark.slow


def timeline(server: Server) -> list[dict[str, Any]]:
    answer = httpx2.get(f"{server.url}/api/incidents/1", headers={"Authorization": f"Bearer {TOKEN}"})
    found: list[dict[str, Any]] = answer.json()["timeline"]
    return found


def sent_addresses(server: Server) -> list[str]:
    return [e["data"]["address"] for e in timeline(server) if e["kind"] == "NotificationSent"]


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    s = Server(tmp_path, {"PAGER_DATABASE_URL": database_url, "PAGER_API_TOKEN": TOKEN}, CONFIG)
    yield s
    s.stop()


def test_escalation_due_while_down_happens_exactly_once_after_restart(server: Server) -> None:
    server.start()
    accepted = httpx2.post(
        f"{server.url}/webhooks/generic",
        json={"summary": "DB down"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert accepted.status_code == 202
    wait_for(lambda: server.pages_to("level1@example.com", 0) == 1, 15, "the level 1 page")
    wait_for(lambda: "level1@example.com" in sent_addresses(server), 5, "the level 1 page to be recorded")

    server.kill()
    time.sleep(4)  # the 3 s acknowledgement deadline passes while nothing runs
    server.start()
    wait_for(lambda: server.pages_to("level2@example.com", 1) == 1, 20, "the level 2 page after restart")
    time.sleep(3)  # room for a duplicate to show up, if there were one

    assert [e["data"]["level"] for e in timeline(server) if e["kind"] == "LevelPaged"] == [1, 2]
    assert sent_addresses(server) == ["level1@example.com", "level2@example.com"]
    assert server.pages_to("level2@example.com", 0) + server.pages_to("level2@example.com", 1) == 1
    assert server.pages_to("level1@example.com", 1) == 0
