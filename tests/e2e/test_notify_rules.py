"""A real `pager serve` pages a person with notification rules step by step: an acknowledgement between steps
stops the later ones, and a SIGKILL between steps loses and doubles none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.e2e.processes import Server, wait_for

KEY = "notify-test-key"
TOKEN = "notify-test-token"
SMS, EMAIL = "+33612345678", "alice@example.com"
CONFIG = f"""
people:
  alice:
    name: Alice
    sms: "{SMS}"
    email: {EMAIL}
    notify: [{{sms: 0s}}, {{email: 3s}}, {{sms: 6s}}]
escalation_policies:
  oncall:
    levels:
      - targets: [person:alice]
        ack_timeout: 1h
services:
  db: {{name: Database, escalation_policy: oncall, integration_keys: ["{KEY}"]}}
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    s = Server(tmp_path, {"PAGER_DATABASE_URL": database_url, "PAGER_API_TOKEN": TOKEN}, CONFIG)
    yield s
    s.stop()


def page_alice(server: Server) -> None:
    accepted = httpx2.post(
        f"{server.url}/webhooks/generic",
        json={"summary": "DB down"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert accepted.status_code == 202


def timeline(server: Server) -> list[dict[str, Any]]:
    answer = httpx2.get(f"{server.url}/api/incidents/1", headers={"Authorization": f"Bearer {TOKEN}"})
    found: list[dict[str, Any]] = answer.json()["timeline"]
    return found


def sent(server: Server) -> list[str]:
    """The targets of the pages recorded sent, in order."""
    return [e["data"]["target"] for e in timeline(server) if e["kind"] == "NotificationSent"]


def pages(server: Server, address: str) -> int:
    """Pages to `address` in the log of every run so far."""
    return sum(server.pages_to(address, run) for run in range(len(server.runs)))


def first_sms_recorded(server: Server) -> None:
    wait_for(lambda: pages(server, SMS) == 1, 15, "the first step's SMS")
    wait_for(lambda: len(sent(server)) == 1, 5, "the first step to be recorded")


def test_each_step_is_paged_at_its_delay(server: Server) -> None:
    server.start()
    page_alice(server)
    first_sms_recorded(server)
    email_with_first_sms = pages(server, EMAIL)

    wait_for(lambda: pages(server, EMAIL) == 1, 10, "the second step's email")
    sms_with_email = pages(server, SMS)
    wait_for(lambda: pages(server, SMS) == 2, 10, "the third step's SMS")
    time.sleep(2)  # room for a duplicate to show up, if there were one

    assert (email_with_first_sms, sms_with_email) == (0, 1)
    assert (pages(server, SMS), pages(server, EMAIL)) == (2, 1)
    assert sent(server) == [f"person:alice, notification step {n}" for n in (1, 2, 3)]


def test_an_acknowledgement_between_steps_stops_the_later_ones(server: Server) -> None:
    server.start()
    page_alice(server)
    first_sms_recorded(server)

    acked = httpx2.post(
        f"{server.url}/api/incidents/1/acknowledge",
        json={"by": "alice"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    time.sleep(9)  # past every step's delay

    assert acked.status_code == 200
    assert (pages(server, SMS), pages(server, EMAIL)) == (1, 0)


def test_a_sigkill_between_steps_loses_and_doubles_none(server: Server) -> None:
    server.start()
    page_alice(server)
    first_sms_recorded(server)

    server.kill()
    time.sleep(4)  # the second step falls due while nothing runs
    server.start()
    wait_for(lambda: pages(server, EMAIL) == 1, 20, "the overdue email step after restart")
    wait_for(lambda: pages(server, SMS) == 2, 15, "the third step's SMS")
    time.sleep(3)  # room for a duplicate to show up, if there were one

    assert (pages(server, SMS), pages(server, EMAIL)) == (2, 1)
    assert len(sent(server)) == 3
