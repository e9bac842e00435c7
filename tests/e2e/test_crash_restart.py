"""A real `pager serve` killed with SIGKILL mid-escalation and restarted after the deadline escalates once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[2]
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = tmp_path / "pager.yaml"
        self.config.write_text(CONFIG)
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "PAGER_DATABASE_URL": database_url,
            "PAGER_BIND": f"127.0.0.1:{self.port}",
            "PAGER_API_TOKEN": TOKEN,
            "PAGER_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
        self.runs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self) -> None:
        log = self.tmp_path / f"run{len(self.runs)}.log"
        command = [sys.executable, "-m", "bot", "serve", "--config", str(self.config)]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.runs.append((process, log))
        wait_for(self.healthy, 30, "the server to answer /healthz")

    def healthy(self) -> bool:
        try:
            return httpx2.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx2.HTTPError:
            return False

    def pages_to(self, address: str, run: int) -> int:
        lines = self.runs[run][1].read_text().splitlines()
        return sum(1 for line in lines if line.startswith("{") and _is_page_to(json.loads(line), address))

    def timeline(self) -> list[dict[str, Any]]:
        answer = httpx2.get(f"{self.url}/api/incidents/1", headers={"Authorization": f"Bearer {TOKEN}"})
        timeline: list[dict[str, Any]] = answer.json()["timeline"]
        return timeline

    def sent_addresses(self) -> list[str]:
        return [e["data"]["address"] for e in self.timeline() if e["kind"] == "NotificationSent"]

    def kill(self) -> None:
        process = self.runs[-1][0]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process, _ in self.runs:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _is_page_to(entry: dict[str, object], address: str) -> bool:
    return entry.get("event") == "page" and entry.get("to") == address


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    s = Server(tmp_path, database_url)
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
    wait_for(lambda: "level1@example.com" in server.sent_addresses(), 5, "the level 1 page to be recorded")

    server.kill()
    time.sleep(4)  # the 3 s acknowledgement deadline passes while nothing runs
    server.start()
    wait_for(lambda: server.pages_to("level2@example.com", 1) == 1, 20, "the level 2 page after restart")
    time.sleep(3)  # room for a duplicate to show up, if there were one

    timeline = server.timeline()
    assert [e["data"]["level"] for e in timeline if e["kind"] == "LevelPaged"] == [1, 2]
    assert server.sent_addresses() == ["level1@example.com", "level2@example.com"]
    assert server.pages_to("level2@example.com", 0) + server.pages_to("level2@example.com", 1) == 1
    assert server.pages_to("level1@example.com", 1) == 0
