"""The README's integration examples, read out of README.md and sent to the real app as written."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from bot.config import KeyRing, parse_config
from bot.settings import example_config_path
from domain.model import ServiceId
from tests.e2e.conftest import Harness
from tests.e2e.vendor_payloads import alertmanager, am_alert, grafana

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECRET = "readme-test-secret"


def section(title: str) -> str:
    """The README text under the heading `title`, up to the next heading of any level."""
    start = README.index(f"\n{title}\n")
    following = re.search(r"\n#{2,3} ", README[start + len(title) + 2 :])
    return README[start : start + len(title) + 2 + (following.start() if following else len(README))]


def block(text: str, language: str, index: int = 0) -> str:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)[index]


@pytest.fixture
def readme_harness(sqlite_harness: Harness) -> Iterator[Harness]:
    """The harness where the README's key (the example config's) is payments', with a Grafana secret."""
    config = sqlite_harness.runtime.config
    sqlite_harness.runtime.config = replace(
        config,
        integration_keys=KeyRing({"payments-example-key": ServiceId("payments")}),
        grafana_secrets={ServiceId("payments"): SECRET},
    )
    yield sqlite_harness


def test_the_alertmanager_receiver_pages_the_service(readme_harness: Harness) -> None:
    receiver = yaml.safe_load(block(section("### Prometheus Alertmanager"), "yaml"))["receivers"][0]
    webhook = receiver["webhook_configs"][0]
    auth = webhook["http_config"]["authorization"]

    response = readme_harness.client.post(
        urlsplit(webhook["url"]).path,
        json=alertmanager(am_alert("aaa1")),
        headers={"Authorization": f"{auth['type']} {auth['credentials']}"},
    )

    assert webhook["send_resolved"] is True
    assert response.status_code == 202
    assert response.json()["alerts"][0]["result"] == "opened"


def test_the_grafana_contact_point_settings_send_accepted_signed_requests(readme_harness: Harness) -> None:
    rows = re.findall(r"^\| ([^|]+?) \| `([^`]+)` \|$", section("### Grafana"), re.M)
    settings = dict(rows)
    body = json.dumps(grafana()).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), f"{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    scheme, credentials = (
        settings["Authentication Header Scheme"],
        settings["Authentication Header Credentials"],
    )
    headers = {
        "Authorization": f"{scheme} {credentials}",
        settings["HMAC Signature: Header"]: signature,
        settings["HMAC Signature: Timestamp Header"]: timestamp,
        "Content-Type": "application/json",
    }

    response = readme_harness.client.post(urlsplit(settings["URL"]).path, content=body, headers=headers)

    assert settings["HTTP Method"] == "POST"
    assert response.status_code == 202


def test_the_grafana_secret_snippet_is_a_valid_service(tmp_path: Path) -> None:
    data = yaml.safe_load(example_config_path().read_text(encoding="utf-8"))
    data["services"].update(yaml.safe_load(block(section("### Grafana"), "yaml"))["services"])

    config = parse_config(yaml.safe_dump(data), "readme.yaml", {"GRAFANA_SECRET": "s3cret-from-env"})

    assert dict(config.grafana_secrets) == {"payments": "s3cret-from-env"}


def test_the_pagerduty_curl_examples_answer_as_shown(readme_harness: Harness) -> None:
    text = block(section("### PagerDuty-compatible Events API v2"), "sh")
    commands = re.findall(r"^(curl .*?)\n# (\{.*?\})$", text.replace("\\\n", " "), re.M | re.S)

    for command, shown in commands:
        args = shlex.split(command)
        body = args[args.index("-d") + 1]
        url = next(arg for arg in args if arg.startswith("http"))
        response = readme_harness.client.post(urlsplit(url).path, content=body.encode())
        assert (response.status_code, response.json()) == (202, json.loads(shown))

    states = [i["state"] for i in readme_harness.api("GET", "/api/incidents?status=all").json()["incidents"]]  # type: ignore[attr-defined]
    assert len(commands) == 3
    assert states == ["resolved"]
