"""What the container image relies on, against real `pager serve` processes: its health command follows
PAGER_BIND, every log line is one JSON object, and the deploy probes ask routes the app serves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from bot.cli_health import healthz_url
from bot.settings import Settings
from tests.e2e.conftest import Harness
from tests.e2e.processes import ROOT, Server, free_port, wait_for

pytestmark = pytest.mark.slow

PAYMENTS_KEY = "payments-key-S3CRET-0123456789"
API_TOKEN = "api-token-S3CRET-0123456789"


def pager_health(bind: str) -> subprocess.CompletedProcess[str]:
    env = {**Server(Path("."), {}).env, "PAGER_BIND": bind}
    return subprocess.run(
        [sys.executable, "-m", "bot", "health"], env=env, capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def listening_everywhere(tmp_path: Path) -> Iterator[Server]:
    """`pager serve` on every address, on a port that is not the default, as the image runs it."""
    server = Server(tmp_path, {"PAGER_DATABASE_URL": f"sqlite:///{tmp_path / 'pager.db'}"})
    server.env["PAGER_BIND"] = f"0.0.0.0:{server.port}"
    server.start()
    yield server
    server.stop()


def test_pager_health_exits_0_when_the_pager_on_PAGER_BIND_answers(listening_everywhere: Server) -> None:
    checked = pager_health(f"0.0.0.0:{listening_everywhere.port}")

    assert checked.returncode == 0, checked.stderr
    assert f"127.0.0.1:{listening_everywhere.port}/healthz" in checked.stdout


def test_pager_health_exits_1_with_the_reason_when_nothing_listens_on_PAGER_BIND() -> None:
    checked = pager_health(f"0.0.0.0:{free_port()}")

    assert checked.returncode == 1
    assert checked.stderr.startswith("unhealthy:") and "no answer" in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def json_run(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Everything one `pager serve` wrote to stdout and stderr: a start on a fresh SQLite database
    (migrations included), an alert with its key in the query, an API call, its page, then SIGTERM."""
    home = tmp_path_factory.mktemp("json-run")
    env = {
        "PAGER_DATABASE_URL": f"sqlite:///{home / 'pager.db'}",
        "PAGER_ACCESS_LOG": "true",
        "PAGER_API_TOKEN": API_TOKEN,
        "PAYMENTS_KEY": PAYMENTS_KEY,
    }
    server = Server(home, env)
    try:
        server.start()
        alert = httpx2.post(f"{server.url}/webhooks/generic?key={PAYMENTS_KEY}", json={"summary": "DB down"})
        assert alert.status_code == 202, alert.text
        listed = httpx2.get(f"{server.url}/api/incidents", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert listed.status_code == 200
        wait_for(lambda: any(e.get("event") == "page" for e in server.log_entries(0)), 30, "a page")
        assert server.terminate() == -signal.SIGTERM  # uvicorn re-raises it once shut down cleanly
    finally:
        server.stop()
    return server.runs[0][1].read_text().splitlines()


def parsed(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def test_every_line_a_json_server_writes_is_one_json_object(json_run: list[str]) -> None:
    not_objects = []
    for line in json_run:
        try:
            if not isinstance(json.loads(line), dict):
                not_objects.append(line)
        except json.JSONDecodeError:
            not_objects.append(line)

    assert json_run and not_objects == []


def test_migrations_requests_and_pages_all_reach_the_json_log(json_run: list[str]) -> None:
    loggers = {entry.get("logger") for entry in parsed(json_run)}
    events = {entry["event"] for entry in parsed(json_run)}

    assert {"alembic.runtime.migration", "uvicorn.access"} <= loggers
    assert {"serving", "page"} <= events
    assert any('"POST /webhooks/generic HTTP/1.1" 202' in event for event in events)


def test_no_key_or_token_reaches_the_json_log(json_run: list[str]) -> None:
    text = "\n".join(json_run)

    assert "/webhooks/generic" in text
    assert PAYMENTS_KEY not in text and API_TOKEN not in text


def test_the_kubernetes_probes_and_the_health_command_ask_routes_the_app_serves(
    sqlite_harness: Harness,
) -> None:
    paths = set(sqlite_harness.client.get("/openapi.json").json()["paths"])
    deployment = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    probed = {
        container[kind]["httpGet"]["path"] for kind in ("livenessProbe", "readinessProbe", "startupProbe")
    }

    assert probed == {"/healthz", "/readyz"} and probed <= paths
    assert healthz_url(Settings()).removeprefix("http://127.0.0.1:8080") in paths


def test_a_crash_at_start_is_one_json_line_without_the_database_password(tmp_path: Path) -> None:
    password = "db-password-S3CRET-0123456789"
    env = {
        **Server(tmp_path, {}).env,
        "PAGER_DATABASE_URL": f"postgresql+psycopg://pager:{password}@127.0.0.1:1/pager",  # nothing listens
    }

    crashed = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    entries = parsed((crashed.stdout + crashed.stderr).splitlines())  # every line, or it raises
    assert crashed.returncode == 1
    assert entries[-1]["event"] == "uncaught exception" and "OperationalError" in entries[-1]["exception"]
    assert password not in crashed.stdout + crashed.stderr
