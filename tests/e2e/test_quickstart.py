"""The README's quick start, as a new user runs it: no config, no environment, the bundled example, curl."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.e2e.processes import ROOT, Server, wait_for

pytestmark = pytest.mark.slow


def readme_curl() -> list[str]:
    """The first curl command of README.md, as words."""
    block = re.search(r"```sh\n(curl .*?)\n(?:#.*\n)?```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None, "README.md has no curl example"
    return shlex.split(block.group(1).replace("\\\n", " "))


def option(words: list[str], flag: str) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words) if word == flag]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path, {})
    yield s
    s.stop()


def test_readme_curl_opens_an_incident_and_level_one_is_paged(server: Server) -> None:
    server.start()
    words = readme_curl()
    url = next(w for w in words if w.startswith("http://")).replace(
        "127.0.0.1:8080", f"127.0.0.1:{server.port}"
    )
    headers = dict(h.split(": ", 1) for h in option(words, "-H"))

    answer = httpx2.post(url, headers=headers, content=option(words, "-d")[0])

    assert (answer.status_code, answer.json()) == (202, {"incident_id": 1, "result": "opened"})
    wait_for(lambda: server.pages_to("#payments-oncall", 0) == 1, 10, "the Slack channel page")
    paged = {e["to"] for e in server.log_entries(0) if e.get("event") == "page"}
    assert "#payments-oncall" in paged and len(paged) >= 2  # the channel and whoever is on call
    assert (server.workdir / "pager.db").exists()


def test_a_second_server_on_the_same_sqlite_file_refuses_to_start(server: Server) -> None:
    server.start()
    second = subprocess.run(
        server.command, cwd=server.workdir, env={**server.env, "PAGER_BIND": "127.0.0.1:1"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert second.returncode == 1
    assert "another pager process is already serving" in second.stderr
    assert server.healthy()
